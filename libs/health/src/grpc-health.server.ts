import { Server, ServerCredentials } from '@grpc/grpc-js';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { HealthImplementation, ServingStatus } from 'grpc-health-check';
import { CheckOutcome, ReadinessRegistry } from './readiness.registry';
import { ShutdownState } from './shutdown.state';

/** The name Kubernetes' liveness probe asks for: the process alone, never its dependencies. */
export const LIVENESS_SERVICE = 'liveness';
/** The empty name is the server's overall health in grpc.health.v1; here it is readiness. */
export const OVERALL_SERVICE = '';

export const DEFAULT_POLL_INTERVAL_MS = 1_000;
export const DEFAULT_CLOSE_GRACE_MS = 500;

export interface GrpcHealthListenOptions {
  /** Readiness is reported under this name (what the readiness probe asks for) and under "". */
  serviceName: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** Default 0.0.0.0: the kubelet probes the pod IP. */
  host?: string;
  /** How often readiness checks run while serving, ms. HTTP /health/ready runs update it too. */
  pollIntervalMs?: number;
  /**
   * On close, how long in-flight calls get before the server cuts them, ms. Open Watch streams
   * never end by themselves, so a close with watchers always waits this long.
   */
  closeGraceMs?: number;
}

/**
 * The standard grpc.health.v1.Health service (Check, Watch, List) on the app's gRPC port.
 * Readiness (service name and "") follows the ReadinessRegistry's checks and turns NOT_SERVING
 * the moment ShutdownState flips; `liveness` is SERVING for as long as the process answers.
 * Inert until `listen` (main.ts calls it), so tests that compile an app module open no port.
 */
@Injectable()
export class GrpcHealthServer implements OnApplicationShutdown {
  private readonly logger = new Logger('GrpcHealth');
  private readonly health = new HealthImplementation({ [LIVENESS_SERVICE]: 'SERVING' });
  private server: Server | undefined;
  private boundPort: number | undefined;
  private closeGraceMs = DEFAULT_CLOSE_GRACE_MS;
  private timer: NodeJS.Timeout | undefined;
  private readinessNames: string[] = [];
  private status: ServingStatus = 'NOT_SERVING';
  private readonly subscriptions: (() => void)[] = [];

  constructor(
    private readonly readiness: ReadinessRegistry,
    private readonly shutdown: ShutdownState,
  ) {}

  /** The bound port (resolved when `port: 0` was asked), once listening. */
  get port(): number | undefined {
    return this.boundPort;
  }

  /** What Check answers for the service name and "". */
  get readinessStatus(): ServingStatus {
    return this.status;
  }

  /** Binds, starts polling readiness and resolves with the bound port. */
  async listen(options: GrpcHealthListenOptions): Promise<number> {
    if (this.server) throw new Error('gRPC health server is already listening');
    this.closeGraceMs = options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
    this.readinessNames = [OVERALL_SERVICE, options.serviceName];
    for (const name of this.readinessNames) this.health.setStatus(name, this.status);

    const server = new Server();
    this.health.addToServer(server);
    const host = options.host ?? '0.0.0.0';
    this.boundPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${host}:${options.port}`, ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port),
      ),
    );
    this.server = server;
    this.logger.log(`grpc.health.v1 listening on ${host}:${this.boundPort} (${options.serviceName})`);

    this.subscriptions.push(
      this.readiness.onOutcomes((outcomes) => this.apply(outcomes)),
      this.shutdown.onBegin(() => {
        this.stopPolling();
        this.apply([]);
      }),
    );
    if (!this.shutdown.shuttingDown) {
      const interval = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
      this.timer = setInterval(() => void this.refresh(), interval);
      // polling must never keep a process alive on its own
      this.timer.unref();
      void this.refresh();
    }
    return this.boundPort;
  }

  /**
   * Runs the readiness checks now and resolves with the status Check then answers: for a
   * feature that knows its state just changed (e.g. its consumer crashed) and will not wait
   * for the next poll.
   */
  async refresh(): Promise<ServingStatus> {
    if (!this.shutdown.shuttingDown) await this.readiness.runAll();
    return this.status;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopPolling();
    for (const unsubscribe of this.subscriptions.splice(0)) unsubscribe();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, this.closeGraceMs);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  private stopPolling(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Sets readiness from a run's outcomes; NOT_SERVING whatever they say once shutdown began. */
  private apply(outcomes: readonly CheckOutcome[]): void {
    const down = outcomes.filter((o) => !o.up);
    const next: ServingStatus = this.shutdown.shuttingDown || down.length > 0 ? 'NOT_SERVING' : 'SERVING';
    if (next === this.status) return;
    this.status = next;
    // Watch streams get one message per change, so only changes are set
    for (const name of this.readinessNames) this.health.setStatus(name, next);
    const why = this.shutdown.shuttingDown
      ? 'shutting down'
      : down.map((o) => `${o.name}: ${String(o.details.message ?? 'down')}`).join('; ');
    if (next === 'SERVING') this.logger.log('gRPC readiness SERVING');
    else this.logger.warn(`gRPC readiness NOT_SERVING (${why})`);
  }
}
