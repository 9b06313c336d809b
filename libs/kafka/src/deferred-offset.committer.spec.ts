import { Offsets } from 'kafkajs';
import { controllableCall } from '../test-fixtures/controllable-call';
import { DeferredOffsetCommitter } from './deferred-offset.committer';

const at = (topic: string, partition: number, offset: string) => ({ topic, partition, offset });

describe('DeferredOffsetCommitter', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('commits the batches of one interval in one request, the newest offset of each partition', async () => {
    const io = controllableCall<Offsets>();
    const committer = new DeferredOffsetCommitter(100, () => undefined);
    committer.record(at('a', 0, '10'), io.call);
    committer.record(at('a', 1, '5'), io.call);
    committer.record(at('a', 0, '20'), io.call);
    committer.record(at('b', 3, '7'), io.call);
    await jest.advanceTimersByTimeAsync(99);
    expect(io.calls).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(io.calls).toEqual([
      {
        topics: [
          {
            topic: 'a',
            partitions: [
              { partition: 0, offset: '20' },
              { partition: 1, offset: '5' },
            ],
          },
          { topic: 'b', partitions: [{ partition: 3, offset: '7' }] },
        ],
      },
    ]);
    io.settle(0);
  });

  it('keeps one request in flight: what is recorded meanwhile goes in the next one', async () => {
    const io = controllableCall<Offsets>();
    const committer = new DeferredOffsetCommitter(100, () => undefined);
    committer.record(at('a', 0, '10'), io.call);
    await jest.advanceTimersByTimeAsync(100);
    committer.record(at('a', 0, '30'), io.call);
    await jest.advanceTimersByTimeAsync(500);
    expect(io.calls).toHaveLength(1);
    io.settle(0);
    await jest.advanceTimersByTimeAsync(0);
    expect(io.calls).toHaveLength(2);
    expect(io.calls[1]).toEqual({ topics: [{ topic: 'a', partitions: [{ partition: 0, offset: '30' }] }] });
    io.settle(1);
  });

  it('retries a failed commit at the next interval unless a newer batch superseded it, and reports the error', async () => {
    const io = controllableCall<Offsets>();
    const errors: unknown[] = [];
    const committer = new DeferredOffsetCommitter(100, (error) => errors.push(error));
    committer.record(at('a', 0, '10'), io.call);
    committer.record(at('a', 1, '4'), io.call);
    await jest.advanceTimersByTimeAsync(100);
    committer.record(at('a', 1, '8'), io.call);
    io.settle(0, new Error('coordinator moved'));
    await jest.advanceTimersByTimeAsync(100);
    expect(errors).toEqual([new Error('coordinator moved')]);
    expect(io.calls[1]).toEqual({
      topics: [
        {
          topic: 'a',
          partitions: [
            { partition: 1, offset: '8' },
            { partition: 0, offset: '10' },
          ],
        },
      ],
    });
    io.settle(1);
  });

  it('retries a failed commit even when no batch arrives after it', async () => {
    const io = controllableCall<Offsets>();
    const committer = new DeferredOffsetCommitter(100, () => undefined);
    committer.record(at('a', 0, '10'), io.call);
    await jest.advanceTimersByTimeAsync(100);
    io.settle(0, new Error('request timed out'));
    await jest.advanceTimersByTimeAsync(100);
    expect(io.calls).toHaveLength(2);
    expect(io.calls[1]).toEqual(io.calls[0]);
    io.settle(1);
  });

  it('flush commits at once and resolves when the broker answered', async () => {
    const io = controllableCall<Offsets>();
    const committer = new DeferredOffsetCommitter(60_000, () => undefined);
    committer.record(at('a', 0, '10'), io.call);
    let flushed = false;
    const flush = committer.flush().then(() => (flushed = true));
    await jest.advanceTimersByTimeAsync(0);
    expect(io.calls).toHaveLength(1);
    expect(flushed).toBe(false);
    io.settle(0);
    await flush;
    expect(flushed).toBe(true);
    // nothing left: a second flush sends nothing, and no timer is left behind
    await committer.flush();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(io.calls).toHaveLength(1);
  });

  it('flush waits for the request in flight, then sends what was recorded after it', async () => {
    const io = controllableCall<Offsets>();
    const committer = new DeferredOffsetCommitter(100, () => undefined);
    committer.record(at('a', 0, '10'), io.call);
    await jest.advanceTimersByTimeAsync(100);
    committer.record(at('a', 0, '11'), io.call);
    const flush = committer.flush();
    await jest.advanceTimersByTimeAsync(0);
    expect(io.calls).toHaveLength(1);
    io.settle(0);
    await jest.advanceTimersByTimeAsync(0);
    expect(io.calls).toHaveLength(2);
    io.settle(1);
    await flush;
  });

  it('after a rejoin, drops the offsets of partitions assigned to other members', async () => {
    const io = controllableCall<Offsets>();
    const committer = new DeferredOffsetCommitter(100, () => undefined);
    committer.record(at('a', 0, '10'), io.call);
    committer.record(at('a', 1, '20'), io.call);
    committer.record(at('b', 0, '30'), io.call);
    committer.retainOnly([{ topic: 'a', partitions: [1] }]);
    await jest.advanceTimersByTimeAsync(100);
    expect(io.calls).toEqual([{ topics: [{ topic: 'a', partitions: [{ partition: 1, offset: '20' }] }] }]);
    io.settle(0);
  });

  it('discard drops what is pending and stops the timer', async () => {
    const io = controllableCall<Offsets>();
    const committer = new DeferredOffsetCommitter(100, () => undefined);
    committer.record(at('a', 0, '10'), io.call);
    committer.discard();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(io.calls).toEqual([]);
  });
});
