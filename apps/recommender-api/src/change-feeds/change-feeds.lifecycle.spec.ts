import { ReadinessRegistry } from '@app/health';
import { CompactedTopicReader } from '@app/kafka';
import { ChangeFeedsLifecycle } from './change-feeds.lifecycle';

/** A reader whose first `failures` starts fail (the broker down at boot), as the lifecycle sees it. */
class FlakyStartReader {
  starts = 0;
  stops = 0;
  caughtUp = false;
  constructor(private failures: number) {}
  start(): Promise<void> {
    this.starts++;
    if (this.failures-- > 0) return Promise.reject(new Error('Connection error: ECONNREFUSED'));
    this.caughtUp = true;
    return Promise.resolve();
  }
  stop(): Promise<void> {
    this.stops++;
    return Promise.resolve();
  }
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(condition()).toBe(true);
}

function lifecycleOf(reader: FlakyStartReader): ChangeFeedsLifecycle {
  const readers = { 'live-metrics': reader as unknown as CompactedTopicReader };
  return new ChangeFeedsLifecycle(readers, null, new ReadinessRegistry(1_000));
}

describe('ChangeFeedsLifecycle', () => {
  it('starts a reader again after a failed start, until it runs', async () => {
    const reader = new FlakyStartReader(1);
    const lifecycle = lifecycleOf(reader);
    lifecycle.onApplicationBootstrap();
    await until(() => reader.caughtUp, 5_000); // the first retry comes after ~1 s
    expect(reader.starts).toBe(2);
    await lifecycle.onApplicationShutdown();
    expect(reader.stops).toBe(1);
  });

  it('stops retrying at shutdown', async () => {
    const reader = new FlakyStartReader(Infinity);
    const lifecycle = lifecycleOf(reader);
    lifecycle.onApplicationBootstrap();
    await until(() => reader.starts === 1, 1_000);
    await lifecycle.onApplicationShutdown();
    await new Promise((r) => setTimeout(r, 1_500)); // past the first retry's time
    expect(reader.starts).toBe(1);
    expect(reader.caughtUp).toBe(false);
  });

  it('starts and stops a live-only reader without making readiness wait for it', async () => {
    const replayed = new FlakyStartReader(0);
    const liveOnly = new FlakyStartReader(Infinity);
    const readiness = new ReadinessRegistry(1_000);
    const lifecycle = new ChangeFeedsLifecycle(
      { 'live-metrics': replayed as unknown as CompactedTopicReader },
      null,
      readiness,
      { 'stream-lifecycle-fast': liveOnly as unknown as CompactedTopicReader },
    );
    expect(readiness.names()).toEqual(['live-metrics']);
    lifecycle.onApplicationBootstrap();
    await until(() => replayed.caughtUp && liveOnly.starts === 1, 1_000);
    await lifecycle.onApplicationShutdown();
    expect([replayed.stops, liveOnly.stops]).toEqual([1, 1]);
  });
});
