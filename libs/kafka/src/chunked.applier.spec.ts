import { ChunkedApplier } from './chunked.applier';

/** An apply whose cost per item is `msPerItem` on a fake clock; records what it got. */
function costly(msPerItem: number) {
  let clock = 0;
  const calls: number[][] = [];
  const apply = (items: readonly number[]) => {
    calls.push([...items]);
    clock += items.length * msPerItem;
  };
  return { apply, calls, now: () => clock };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('ChunkedApplier', () => {
  it('applies a batch no larger than a chunk in one call, without copying it', async () => {
    const items = range(10);
    const seen: (readonly number[])[] = [];
    const applier = new ChunkedApplier<number>((chunk) => void seen.push(chunk), {
      budgetMs: 10,
      initialChunk: 16,
      maxChunk: 1_024,
    });
    await applier.applyAll(items);
    expect(seen).toEqual([items]);
    expect(seen[0]).toBe(items);
  });

  it('splits an expensive batch into chunks near the budget, in order, and yields between them', async () => {
    const { apply, calls, now } = costly(2); // 2 ms per item: ~5 items fit a 10 ms budget
    const applier = new ChunkedApplier(apply, { budgetMs: 10, initialChunk: 64, maxChunk: 1_024, now });
    // a macrotask chain: it can only advance while the applier yields to the event loop
    let ticks = 0;
    let done = false;
    const spin = () => {
      ticks++;
      if (!done) setImmediate(spin);
    };
    setImmediate(spin);
    await applier.applyAll(range(200));
    done = true;
    const ticksDuringApply = ticks;
    expect(calls.flat()).toEqual(range(200));
    expect(calls[0]).toHaveLength(64);
    expect(Math.max(...calls.slice(3).map((c) => c.length))).toBeLessThanOrEqual(8);
    expect(applier.chunkSize).toBeLessThanOrEqual(8);
    expect(ticksDuringApply).toBeGreaterThanOrEqual(calls.length / 2);
  });

  it('lets the loop turn between small batches once those applied back to back took the budget', async () => {
    const { apply, now } = costly(1); // 4 items, 4 ms: each batch fits one chunk and the budget
    const applier = new ChunkedApplier(apply, { budgetMs: 10, initialChunk: 64, maxChunk: 1_024, now });
    const turns: boolean[] = [];
    for (let batch = 0; batch < 3; batch++) {
      let turned = false;
      setImmediate(() => (turned = true));
      await applier.applyAll(range(4));
      turns.push(turned);
    }
    // 4, 8, then 12 ms back to back: only the third batch ends with a turn
    expect(turns).toEqual([false, false, true]);
  });

  it('grows the chunk again while apply is cheap', async () => {
    const { apply, calls, now } = costly(0.001);
    const applier = new ChunkedApplier(apply, { budgetMs: 10, initialChunk: 4, maxChunk: 64, now });
    await applier.applyAll(range(300));
    expect(calls.flat()).toEqual(range(300));
    expect(calls.map((c) => c.length).slice(0, 5)).toEqual([4, 8, 16, 32, 64]);
    expect(applier.chunkSize).toBe(64);
  });

  it('stops at a failing chunk: later ones are not applied', async () => {
    const calls: number[][] = [];
    const applier = new ChunkedApplier<number>(
      (items) => {
        calls.push([...items]);
        if (items.includes(5)) throw new Error('bad record');
      },
      { budgetMs: 10, initialChunk: 4, maxChunk: 4, now: () => 0 },
    );
    await expect(applier.applyAll(range(12))).rejects.toThrow('bad record');
    expect(calls).toEqual([range(4), [4, 5, 6, 7]]);
  });
});
