import { OffsetCommitScheduler, PartitionOffset } from './offset-commit.scheduler';

/** A sender whose requests the test answers one by one. */
function controlledSender() {
  const requests: { offsets: PartitionOffset[]; resolve(): void; reject(error: Error): void }[] = [];
  const send = (offsets: PartitionOffset[]) =>
    new Promise<void>((resolve, reject) => requests.push({ offsets, resolve, reject }));
  return { requests, send };
}

const flushMicrotasks = async () => {
  for (let i = 0; i < 5; i += 1) await Promise.resolve();
};

describe('OffsetCommitScheduler', () => {
  const errors: { topic: string; partition: number }[] = [];
  const make = (intervalMs = 200) =>
    new OffsetCommitScheduler({
      intervalMs,
      onError: (_e, topic, partition) => errors.push({ topic, partition }),
    });

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
    errors.length = 0;
  });
  afterEach(() => jest.useRealTimers());

  it('coalesces batches of several partitions into one request per interval, with the latest offsets', async () => {
    const { requests, send } = controlledSender();
    const scheduler = make();
    scheduler.useSender(send);
    scheduler.record('t', 0, '10');
    jest.advanceTimersByTime(0);
    expect(requests).toHaveLength(1); // idle before: the first commit goes out at once
    requests[0].resolve();
    await flushMicrotasks();

    for (let offset = 11; offset <= 60; offset += 1) scheduler.record('t', offset % 2, String(offset));
    scheduler.record('u', 3, '7');
    jest.advanceTimersByTime(199);
    expect(requests).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(requests).toHaveLength(2);
    expect(requests[1].offsets).toEqual([
      { topic: 't', partition: 0, offset: '60' },
      { topic: 't', partition: 1, offset: '59' },
      { topic: 'u', partition: 3, offset: '7' },
    ]);
  });

  it('keeps one request in flight; what was recorded meanwhile goes in the next one', async () => {
    const { requests, send } = controlledSender();
    const scheduler = make();
    scheduler.useSender(send);
    scheduler.record('t', 0, '10');
    jest.advanceTimersByTime(0);
    scheduler.record('t', 0, '20');
    jest.advanceTimersByTime(1_000);
    expect(requests).toHaveLength(1);
    requests[0].resolve();
    await flushMicrotasks();
    jest.advanceTimersByTime(0);
    expect(requests).toHaveLength(2);
    expect(requests[1].offsets).toEqual([{ topic: 't', partition: 0, offset: '20' }]);
    requests[1].resolve();
    await flushMicrotasks();
    expect(scheduler.uncommitted()).toEqual([]);
  });

  it('reports a failed commit and retries it with the next due one, never an older offset', async () => {
    const { requests, send } = controlledSender();
    const scheduler = make();
    scheduler.useSender(send);
    scheduler.record('t', 0, '10');
    jest.advanceTimersByTime(0);
    requests[0].reject(new Error('coordinator moved'));
    await flushMicrotasks();
    expect(errors).toEqual([{ topic: 't', partition: 0 }]);
    // A redelivery after a seek back records lower offsets: ignored.
    scheduler.record('t', 0, '5');
    jest.advanceTimersByTime(200);
    expect(requests).toHaveLength(2);
    expect(requests[1].offsets).toEqual([{ topic: 't', partition: 0, offset: '10' }]);
    requests[1].resolve();
    await flushMicrotasks();
    scheduler.record('t', 0, '8');
    jest.advanceTimersByTime(10_000);
    expect(requests).toHaveLength(2);
  });

  it('flush() waits for the request in flight, then sends the rest at once', async () => {
    const { requests, send } = controlledSender();
    const scheduler = make(10_000);
    scheduler.useSender(send);
    scheduler.record('t', 0, '10');
    jest.advanceTimersByTime(0);
    scheduler.record('t', 0, '30');
    let flushed = false;
    const flushing = scheduler.flush().then(() => (flushed = true));
    await flushMicrotasks();
    expect(requests).toHaveLength(1);
    requests[0].resolve();
    await flushMicrotasks();
    expect(requests).toHaveLength(2);
    expect(requests[1].offsets).toEqual([{ topic: 't', partition: 0, offset: '30' }]);
    expect(flushed).toBe(false);
    requests[1].resolve();
    await flushing;
    expect(scheduler.uncommitted()).toEqual([]);
  });

  it('before a revocation sends everything now, holds commits until the rejoin, then drops revoked partitions', async () => {
    const { requests, send } = controlledSender();
    const scheduler = make();
    scheduler.useSender(send);
    scheduler.record('t', 0, '10');
    jest.advanceTimersByTime(0);
    scheduler.record('t', 0, '20');
    scheduler.record('t', 1, '5');
    const revoking = scheduler.flushBeforeRevocation();
    // Next to the request in flight (same connection, answered in order): not after it.
    expect(requests).toHaveLength(2);
    expect(requests[1].offsets).toEqual([
      { topic: 't', partition: 0, offset: '20' },
      { topic: 't', partition: 1, offset: '5' },
    ]);
    requests[0].resolve();
    requests[1].reject(new Error('ILLEGAL_GENERATION'));
    await revoking;
    expect(errors).toHaveLength(2);
    scheduler.record('t', 1, '6');
    jest.advanceTimersByTime(10_000);
    expect(requests).toHaveLength(2); // suspended until the rejoin

    scheduler.retainOnly([{ topic: 't', partitions: [0] }]);
    jest.advanceTimersByTime(0);
    expect(requests).toHaveLength(3);
    expect(requests[2].offsets).toEqual([{ topic: 't', partition: 0, offset: '20' }]);
    expect(scheduler.uncommitted()).toEqual([{ topic: 't', partition: 0, offset: '20' }]);
  });

  it('holds offsets while it has no sender and sends them once one is given', () => {
    const { requests, send } = controlledSender();
    const scheduler = make();
    scheduler.record('t', 0, '10');
    jest.advanceTimersByTime(1_000);
    scheduler.useSender(send);
    jest.advanceTimersByTime(0);
    expect(requests.map((r) => r.offsets)).toEqual([[{ topic: 't', partition: 0, offset: '10' }]]);
  });
});
