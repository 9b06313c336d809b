import { callbackCheck, ReadinessRegistry } from '@app/health';
import { StreamReplica } from '@app/vector-store';
import { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CompactedTopicReader } from '@app/kafka';

export class NotCaughtUpError extends Error {
  override readonly name = 'NotCaughtUpError';
}

/**
 * Starts the change-feed readers (metrics, watermarks, and the stream replica when no Qdrant) at
 * bootstrap without blocking it - the API answers degraded while they catch up - and makes
 * readiness wait for them. Stops them at shutdown.
 */
export class ChangeFeedsLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ChangeFeedsLifecycle.name);

  constructor(
    private readonly readers: Record<string, CompactedTopicReader>,
    private readonly replica: StreamReplica | null,
    readiness: ReadinessRegistry,
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
    const starts: [string, () => Promise<void>][] = Object.entries(this.readers).map(([n, r]) => [
      n,
      () => r.start(),
    ]);
    if (this.replica) starts.push(['stream-replica', () => this.replica!.start()]);
    for (const [name, start] of starts) {
      start().catch((error: unknown) =>
        this.logger.error(`${name} failed to start: ${(error as Error).message}`),
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...Object.values(this.readers).map((r) => r.stop()), this.replica?.stop()]);
  }
}
