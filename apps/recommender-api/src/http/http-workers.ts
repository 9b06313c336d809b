import { EnvGroup, EnvVar, ToNumber } from '@app/config';
import { IsInt, Max, Min } from 'class-validator';
import cluster, { Worker } from 'node:cluster';

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
export const WORKER_SHUTDOWN_MESSAGE = 'nowcast:shutdown';

/** A worker that dies on its own is replaced, but more than this many times a minute ends the primary. */
const MAX_RESTARTS_PER_MINUTE = 5;

export interface WorkersLog {
  info(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * The primary of `count` API workers sharing the HTTP and gRPC ports (Linux: the primary accepts and
 * hands connections out round robin). SIGTERM/SIGINT are turned into one shutdown message per
 * worker: a terminal's Ctrl-C reaches every process of the group, and a second signal during a
 * worker's drain would kill it mid-way, so workers ignore signals and drain on the message. A
 * worker that exits unexpectedly is replaced (a crash loop ends the primary with status 1, for the
 * orchestrator to restart the pod); after a shutdown the primary exits 0 once all have exited.
 */
export function superviseHttpWorkers(count: number, log: WorkersLog): void {
  let stopping = false;
  let failed = false;
  const restarts: number[] = [];
  const fork = (): Worker => cluster.fork();
  for (let i = 0; i < count; i++) fork();

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (code !== 0) failed = true;
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(failed ? 1 : 0);
      return;
    }
    const now = Date.now();
    restarts.push(now);
    while (restarts.length > 0 && restarts[0] < now - 60_000) restarts.shift();
    log.error('worker exited, replacing it', { workerPid: worker.process.pid, code, signal });
    if (restarts.length > MAX_RESTARTS_PER_MINUTE) {
      log.error('workers keep exiting, stopping', { restartsLastMinute: restarts.length });
      failed = true;
      shutdown();
      return;
    }
    fork();
  });

  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    log.info('stopping workers', { workers: Object.keys(cluster.workers ?? {}).length });
    const workers = Object.values(cluster.workers ?? {});
    if (workers.length === 0) process.exit(failed ? 1 : 0);
    for (const worker of workers) if (worker?.isConnected()) worker.send(WORKER_SHUTDOWN_MESSAGE);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, shutdown);
}

/**
 * In a worker: calls `drain` once when the primary asks for a shutdown, and keeps SIGTERM/SIGINT
 * from killing it meanwhile (the primary relays them as the message). Exits when the primary is
 * gone (Node's cluster worker does so on disconnect).
 */
export function onShutdownFromPrimary(drain: () => void): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => undefined);
  process.on('message', (message: unknown) => {
    if (message === WORKER_SHUTDOWN_MESSAGE) drain();
  });
}
