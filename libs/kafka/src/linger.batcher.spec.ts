import { controllableCall } from '../test-fixtures/controllable-call';
import { LingerBatcher, ProducerBufferFullError, ProducerClosedError } from './linger.batcher';

const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('LingerBatcher', () => {
  it('collects adds within the linger time into one send', async () => {
    const io = controllableCall<number[]>();
    const batcher = new LingerBatcher(io.call, { lingerMs: 20, maxBatchItems: 100, maxPendingItems: 1000 });
    const first = batcher.add([1, 2]);
    const second = batcher.add([3]);
    expect(io.calls).toEqual([]);
    await tick(40);
    expect(io.calls).toEqual([[1, 2, 3]]);
    io.settle(0);
    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined]);
  });

  it('with lingerMs 0 sends the adds of one tick together at the end of that tick, with no timer', async () => {
    const io = controllableCall<number[]>();
    const batcher = new LingerBatcher(io.call, { lingerMs: 0, maxBatchItems: 100, maxPendingItems: 1000 });
    const first = batcher.add([1]);
    const second = batcher.add([2, 3]);
    expect(io.calls).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(io.calls).toEqual([[1, 2, 3]]);
    io.settle(0);
    await Promise.all([first, second]);
  });

  it('sends at once when the batch is full, keeping whole adds together', async () => {
    const io = controllableCall<number[]>();
    const batcher = new LingerBatcher(io.call, { lingerMs: 10_000, maxBatchItems: 3, maxPendingItems: 1000 });
    void batcher.add([1, 2]);
    void batcher.add([3, 4]);
    expect(io.calls).toEqual([[1, 2]]);
    io.settle(0);
    await tick();
    expect(io.calls).toEqual([
      [1, 2],
      [3, 4],
    ]);
    io.settle(1);
    await batcher.flush();
  });

  it('accumulates while a batch is in flight and sends the rest as the next batch', async () => {
    const io = controllableCall<number[]>();
    const batcher = new LingerBatcher(io.call, { lingerMs: 1, maxBatchItems: 100, maxPendingItems: 1000 });
    const first = batcher.add([1]);
    await tick(10);
    const second = batcher.add([2]);
    const third = batcher.add([3]);
    await tick(10);
    expect(io.calls).toEqual([[1]]);
    io.settle(0);
    await first;
    await tick(10);
    expect(io.calls).toEqual([[1], [2, 3]]);
    io.settle(1);
    await Promise.all([second, third]);
  });

  it('rejects only the adds of a failed batch, then carries on', async () => {
    const io = controllableCall<number[]>();
    const batcher = new LingerBatcher(io.call, { lingerMs: 1, maxBatchItems: 100, maxPendingItems: 1000 });
    const failed = batcher.add([1]);
    await tick(10);
    io.settle(0, new Error('broker down'));
    await expect(failed).rejects.toThrow('broker down');
    const retried = batcher.add([1]);
    await tick(10);
    io.settle(1);
    await expect(retried).resolves.toBeUndefined();
    expect(io.calls).toEqual([[1], [1]]);
  });

  it('rejects adds beyond the pending limit', async () => {
    const io = controllableCall<number[]>();
    const batcher = new LingerBatcher(io.call, { lingerMs: 10_000, maxBatchItems: 100, maxPendingItems: 3 });
    const accepted = batcher.add([1, 2]);
    await expect(batcher.add([3, 4])).rejects.toBeInstanceOf(ProducerBufferFullError);
    const flushed = batcher.flush();
    io.settle(0);
    await flushed;
    await accepted;
    expect(io.calls).toEqual([[1, 2]]);
  });

  it('flush sends without waiting for the linger time; close refuses new adds', async () => {
    const io = controllableCall<number[]>();
    const batcher = new LingerBatcher(io.call, {
      lingerMs: 60_000,
      maxBatchItems: 100,
      maxPendingItems: 1000,
    });
    const added = batcher.add([7]);
    const closed = batcher.close();
    expect(io.calls).toEqual([[7]]);
    io.settle(0);
    await closed;
    await added;
    await expect(batcher.add([8])).rejects.toBeInstanceOf(ProducerClosedError);
  });
});
