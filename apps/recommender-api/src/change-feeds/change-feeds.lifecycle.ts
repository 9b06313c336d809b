import { callbackCheck, ReadinessRegistry } from '@app/health';
import { StreamReplica } from '@app/vector-store';
import { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CompactedTopicReader, retryUntilStopped } from '@app/kafka';

/** Between attempts to start a change-feed reader, ms (with jitter). */
const START_BACKOFF = { initialMs: 1_000, multiplier: 2, maxMs: 30_000 };

export class NotCaughtUpError extends Error {
  override readonly name = 'NotCaughtUpError';
}

/**
 * Starts the change-feed readers (metrics, watermarks, and the stream replica when no Qdrant) at
 * bootstrap without blocking it - the API answers degraded while they catch up - and makes
 * readiness wait for them. Live-only readers (the lifecycle fast lane: an early copy of a feed
 * the others replay) start and stop with them but are not part of readiness. Stops them at shutdown.
 */
export class ChangeFeedsLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ChangeFeedsLifecycle.name);
  private readonly stopped = new AbortController();

  constructor(
    private readonly readers: Record<string, CompactedTopicReader>,
    private readonly replica: StreamReplica | null,
    readiness: ReadinessRegistry,
    private readonly liveOnlyReaders: Record<string, CompactedTopicReader> = {},
  ) {
    for (const [name, reader] of Object.entries(readers)) {
      readiness.register(
        callbackCheck(name, () =>
          reader.caughtUp
            ? Promise.resolve({ caughtUp: true })
            : Promise.reject(new NotCaughtUpError(`${name} is catching up`)),
        ),
      );
    }
    if (replica) {
      readiness.register(
        callbackCheck('stream-replica', () => {
          const health = replica.health();
          return health.caughtUp
            ? Promise.resolve({ caughtUp: true, points: health.points })
            : Promise.reject(
                new NotCaughtUpError(`stream replica is catching up (partitions ${health.behind.join(',')})`),
              );
        }),
      );
    }
  }

  onApplicationBootstrap(): void {
    const starts: [string, () => Promise<void>][] = Object.entries({
      ...this.readers,
      ...this.liveOnlyReaders,
    }).map(([n, r]) => [n, () => r.start()]);
    if (this.replica) starts.push(['stream-replica', () => this.replica!.start()]);
    for (const [name, start] of starts) void this.startWithRetries(name, start);
  }

  /**
   * A reader that cannot start (the broker down at boot) is retried with backoff until shutdown:
   * readiness only keeps traffic away, nothing would restart the pod, so one failed start would
   * leave it unready for good.
   */
  private async startWithRetries(name: string, start: () => Promise<void>): Promise<void> {
    await retryUntilStopped(start, {
      backoff: START_BACKOFF,
      signal: this.stopped.signal,
      onFailure: (error, attempt, delayMs) =>
        this.logger.error(
          `${name} failed to start (${(error as Error).message}); retry ${attempt} in ${delayMs} ms`,
        ),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped.abort();
    const readers = [...Object.values(this.readers), ...Object.values(this.liveOnlyReaders)];
    await Promise.allSettled([...readers.map((r) => r.stop()), this.replica?.stop()]);
  }
}
