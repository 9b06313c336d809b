import { grownInt32 } from './typed-arrays';

/**
 * Counts by small non-negative integer key (a LiveIndex's seller or category key) for one pass:
 * a count is valid when its stamp is the current generation, so `reset` clears nothing and a pass
 * allocates nothing (the arrays only grow). Used by one synchronous pass at a time.
 */
export class StampedCounts {
  private generation = 0;
  private stamp: Int32Array;
  private counts: Int32Array;

  constructor(initialKeys = 256) {
    this.stamp = new Int32Array(initialKeys);
    this.counts = new Int32Array(initialKeys);
  }

  /** Every count back to 0. */
  reset(): void {
    if (++this.generation === 0x7fffffff) {
      this.stamp.fill(0);
      this.generation = 1;
    }
  }

  get(key: number): number {
    return key < this.stamp.length && this.stamp[key] === this.generation ? this.counts[key] : 0;
  }

  set(key: number, count: number): void {
    if (key >= this.stamp.length) this.grow(key + 1);
    this.stamp[key] = this.generation;
    this.counts[key] = count;
  }

  private grow(n: number): void {
    const size = Math.max(n, 2 * this.stamp.length);
    this.stamp = grownInt32(this.stamp, size);
    this.counts = grownInt32(this.counts, size);
  }
}
