import { EnvGroup, EnvVar, ToNumber } from '@app/config';
import { IsInt, Max, Min } from 'class-validator';
import { SHUTDOWN_SIGNALS, ShutdownState } from '@app/health';
import { serveClusterMetrics } from '@app/observability';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import cluster from 'node:cluster';
import pino from 'pino';

export class HttpWorkersEnvDto {
  @EnvVar({
    description:
      'Processes serving the API on the same ports (node:cluster), e.g. one per core on a single host; each holds its own stream replica and metrics cache. In Kubernetes prefer 1 and more replicas.',
  })
  @ToNumber()
  @IsInt()
  @Min(1)
  @Max(64)
  HTTP_WORKERS!: number;
}

export interface HttpWorkersConfig {
  workers: number;
}

export function httpWorkersEnv(): EnvGroup<HttpWorkersEnvDto, HttpWorkersConfig> {
  return {
    dto: HttpWorkersEnvDto,
    defaults: { HTTP_WORKERS: '1' },
    toConfig: (dto) => ({ workers: dto.HTTP_WORKERS }),
  };
}

/** The primary's request that a worker drain and exit (workers ignore the signals themselves). */
const WORKER_SHUTDOWN_MESSAGE = 'nowcast:shutdown';

/** A worker that dies on its own is replaced, but more than this many times a minute ends the primary. */
const MAX_RESTARTS_PER_MINUTE = 5;

/**
 * The primary of `count` API workers sharing the HTTP and gRPC ports (Linux: the primary accepts and
 * hands connections out round robin), answering their scrapes with the merged metrics. SIGTERM/SIGINT
 * are turned into one shutdown message per worker: a terminal's Ctrl-C reaches every process of the
 * group, and a second signal during a worker's drain would kill it mid-way, so workers ignore
 * signals and drain on the message. A worker that exits unexpectedly is replaced (a crash loop ends
 * the primary with status 1, for the orchestrator to restart the pod); after a shutdown the primary
 * exits 0 once all have exited.
 */
export function superviseHttpWorkers(serviceName: string, count: number): void {
  const log = pino({
    base: { service: serviceName, role: 'primary', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
  let stopping = false;
  let failed = false;
  const restarts: number[] = [];
  serveClusterMetrics();
  for (let i = 0; i < count; i++) cluster.fork();

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (code !== 0) failed = true;
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(failed ? 1 : 0);
      return;
    }
    const now = Date.now();
    restarts.push(now);
    while (restarts.length > 0 && restarts[0] < now - 60_000) restarts.shift();
    log.error({ workerPid: worker.process.pid, code, signal }, 'worker exited, replacing it');
    if (restarts.length > MAX_RESTARTS_PER_MINUTE) {
      log.error({ restartsLastMinute: restarts.length }, 'workers keep exiting, stopping');
      failed = true;
      shutdown();
      return;
    }
    cluster.fork();
  });

  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {});
    log.info({ workers: workers.length }, 'stopping workers');
    if (workers.length === 0) process.exit(failed ? 1 : 0);
    for (const worker of workers) if (worker?.isConnected()) worker.send(WORKER_SHUTDOWN_MESSAGE);
  };
  for (const signal of SHUTDOWN_SIGNALS) process.on(signal, shutdown);
}

/**
 * In a worker (the `shutdown` of bootstrapService): drains when the primary asks - readiness flips,
 * the app closes, exit 0 - and keeps SIGTERM/SIGINT from killing it meanwhile (the primary relays
 * them as the message). Exits when the primary is gone (Node's cluster worker does so on disconnect).
 */
export function drainOnPrimaryMessage(app: NestFastifyApplication): void {
  const shutdownState = app.get(ShutdownState);
  for (const signal of SHUTDOWN_SIGNALS) process.on(signal, () => undefined);
  process.on('message', (message: unknown) => {
    if (message !== WORKER_SHUTDOWN_MESSAGE) return;
    shutdownState.begin();
    void app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
