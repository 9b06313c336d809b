import { Client, ServiceError, credentials } from '@grpc/grpc-js';
import { service } from 'grpc-health-check';

/** HealthCheckResponse.ServingStatus; SERVICE_UNKNOWN only comes from Watch. */
export const HEALTH_STATUSES = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

function statusOf(response: object | undefined): HealthStatus {
  const status = (response as { status?: unknown } | undefined)?.status;
  return (HEALTH_STATUSES as readonly unknown[]).includes(status) ? (status as HealthStatus) : 'UNKNOWN';
}

export interface HealthWatch {
  /** Ends the stream (the server sees the call cancelled). */
  cancel(): void;
}

/**
 * A small typed grpc.health.v1 client (what a kubelet gRPC probe or grpc_health_probe does):
 * for tests and ops scripts. Plaintext, like the probes.
 */
export class GrpcHealthClient {
  private readonly client: Client;

  constructor(address: string) {
    this.client = new Client(address, credentials.createInsecure());
  }

  /** Check; rejects with the gRPC error (e.g. NOT_FOUND for an unknown service, UNAVAILABLE). */
  check(serviceName: string, deadlineMs = 1_000): Promise<HealthStatus> {
    const method = service.Check;
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        { service: serviceName },
        { deadline: Date.now() + deadlineMs },
        (error: ServiceError | null, response?: object) =>
          error ? reject(error) : resolve(statusOf(response)),
      );
    });
  }

  /**
   * Watch: `onStatus` gets the current status at once, then every change until cancelled;
   * `onEnd` once when the stream ends (with the error, e.g. CANCELLED when the server closes).
   */
  watch(
    serviceName: string,
    onStatus: (status: HealthStatus) => void,
    onEnd?: (error?: ServiceError) => void,
  ): HealthWatch {
    const method = service.Watch;
    const call = this.client.makeServerStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      { service: serviceName },
    );
    // grpc-js emits 'error' and then 'end' for a failed stream: report the end once
    let ended = false;
    const end = (error?: ServiceError): void => {
      if (ended) return;
      ended = true;
      onEnd?.(error);
    };
    call.on('data', (response: object) => onStatus(statusOf(response)));
    call.on('error', (error: ServiceError) => end(error));
    call.on('end', () => end());
    return { cancel: () => call.cancel() };
  }

  close(): void {
    this.client.close();
  }
}
