import { EventLoopBudget } from './event-loop.budget';

export interface ChunkedApplierOptions {
  /** Aimed-at wall time of one `apply` call, ms: chunks grow while faster, shrink while slower. */
  budgetMs: number;
  /** First and largest chunk, records. */
  initialChunk: number;
  maxChunk: number;
  /** Clock in ms (tests). */
  now?: () => number;
}

export const DEFAULT_CHUNKED_APPLIER_OPTIONS: ChunkedApplierOptions = {
  budgetMs: 10,
  initialChunk: 256,
  maxChunk: 65_536,
};

/**
 * Hands a batch to a synchronous-ish `apply` in chunks and yields to the event loop whenever the
 * chunks applied back to back (across batches too) took `budgetMs`, so one large batch - or one
 * fetch of many - cannot hold a process's HTTP requests for seconds. Measured: the recommender's
 * stream-vector replica applied a catch-up batch of thousands of HNSW updates (~2-5 ms each) in one
 * call, and feed requests waited 1-4 s behind it. The chunk size adapts to what `apply` costs per
 * record (halved above the budget, doubled under half of it), so cheap feeds (metrics) still go in
 * one call, and small batches add no yield (no latency at low load).
 */
export class ChunkedApplier<T> {
  private chunk: number;
  private readonly now: () => number;
  private readonly loop: EventLoopBudget;

  constructor(
    private readonly apply: (items: readonly T[]) => void | Promise<void>,
    private readonly options: ChunkedApplierOptions = DEFAULT_CHUNKED_APPLIER_OPTIONS,
  ) {
    this.chunk = options.initialChunk;
    this.now = options.now ?? (() => performance.now());
    this.loop = new EventLoopBudget(options.budgetMs);
  }

  /** The current chunk size, records. */
  get chunkSize(): number {
    return this.chunk;
  }

  /** Applies `items` in order; a failing chunk rejects (later chunks are not applied). */
  async applyAll(items: readonly T[]): Promise<void> {
    for (let from = 0; from < items.length;) {
      const to = Math.min(items.length, from + this.chunk);
      const started = this.now();
      await this.apply(from === 0 && to === items.length ? items : items.slice(from, to));
      const ms = this.now() - started;
      this.adapt(to - from, ms);
      from = to;
      await this.loop.spend(ms);
    }
  }

  private adapt(size: number, ms: number): void {
    const { budgetMs, maxChunk } = this.options;
    if (ms > budgetMs) this.chunk = Math.max(1, Math.floor(size / 2));
    else if (ms < budgetMs / 2 && size >= this.chunk) this.chunk = Math.min(maxChunk, this.chunk * 2);
  }
}
