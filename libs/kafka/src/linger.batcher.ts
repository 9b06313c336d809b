/** Thrown by `add` when the buffer is full (e.g. the broker is down): callers shed load or retry later. */
export class ProducerBufferFullError extends Error {
  override name = 'ProducerBufferFullError';
}

export class ProducerClosedError extends Error {
  override name = 'ProducerClosedError';
}

export interface LingerBatcherOptions {
  /**
   * How long the first item of a batch may wait for company, ms. 0 = until the current tick's
   * other adds are in (setImmediate, not a 1 ms timer): no wait at idle, and under load batches
   * still grow by themselves while one is in flight.
   */
  lingerMs: number;
  /** A batch is sent as soon as it holds this many items. */
  maxBatchItems: number;
  /** Items waiting (not yet in flight) above which `add` rejects with ProducerBufferFullError. */
  maxPendingItems: number;
}

interface Entry<T> {
  items: T[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Linger batching, the part kafkajs lacks: items added within `lingerMs` (or until `maxBatchItems`)
 * go out in one `send` call. One batch is in flight at a time; whatever accumulates meanwhile goes
 * next, so under load batches grow by themselves. Each `add` resolves when its batch was sent.
 * Items of one `add` call always travel in the same batch, in order.
 */
export class LingerBatcher<T> {
  private pending: Entry<T>[] = [];
  private pendingCount = 0;
  private timer: { cancel: () => void } | null = null;
  /** The linger time of the pending batch ran out while another batch was in flight. */
  private due = false;
  private inFlight: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly sendBatch: (items: T[]) => Promise<void>,
    private readonly options: LingerBatcherOptions,
  ) {}

  get pendingItems(): number {
    return this.pendingCount;
  }

  add(items: T[]): Promise<void> {
    if (this.closed) return Promise.reject(new ProducerClosedError('producer is closed'));
    if (items.length === 0) return Promise.resolve();
    if (this.pendingCount > 0 && this.pendingCount + items.length > this.options.maxPendingItems) {
      return Promise.reject(
        new ProducerBufferFullError(
          `${this.pendingCount} messages already waiting (max ${this.options.maxPendingItems})`,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ items, resolve, reject });
      this.pendingCount += items.length;
      if (this.pendingCount >= this.options.maxBatchItems) {
        this.due = true;
        this.dispatch();
      } else if (!this.timer) {
        this.timer = this.schedule(() => {
          this.timer = null;
          this.due = true;
          this.dispatch();
        });
      }
    });
  }

  /** Sends what is waiting now, without lingering, and resolves once everything added so far settled. */
  async flush(): Promise<void> {
    while (this.pendingCount > 0 || this.inFlight) {
      this.due = true;
      this.dispatch();
      if (this.inFlight) await this.inFlight;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private dispatch(): void {
    if (this.inFlight || !this.due || this.pendingCount === 0) return;
    if (this.timer) {
      this.timer.cancel();
      this.timer = null;
    }
    const batch = this.takeBatch();
    this.due = this.pendingCount >= this.options.maxBatchItems;
    const items = batch.flatMap((entry) => entry.items);
    this.inFlight = this.sendBatch(items).then(
      () => batch.forEach((entry) => entry.resolve()),
      (error: unknown) => batch.forEach((entry) => entry.reject(error)),
    );
    void this.inFlight.finally(() => {
      this.inFlight = null;
      if (this.pendingCount === 0) return;
      if (this.due || this.pendingCount >= this.options.maxBatchItems) {
        this.dispatch();
      } else if (!this.timer) {
        // Leftovers of an over-full batch: they have waited long enough already.
        this.due = true;
        this.dispatch();
      }
    });
  }

  private schedule(callback: () => void): { cancel: () => void } {
    if (this.options.lingerMs <= 0) {
      const immediate = setImmediate(callback);
      return { cancel: () => clearImmediate(immediate) };
    }
    const timeout = setTimeout(callback, this.options.lingerMs);
    return { cancel: () => clearTimeout(timeout) };
  }

  /** Whole entries up to maxBatchItems (an oversized single entry goes alone); one splice, not n shifts. */
  private takeBatch(): Entry<T>[] {
    let count = 0;
    let cut = 0;
    while (cut < this.pending.length) {
      const size = this.pending[cut].items.length;
      if (cut > 0 && count + size > this.options.maxBatchItems) break;
      count += size;
      cut += 1;
    }
    this.pendingCount -= count;
    return this.pending.splice(0, cut);
  }
}
