/**
 * A binary heap of indices ordered by `scores[index]`, highest first, and by `tieBefore(a, b)` (a
 * comes first) where two scores are equal (or not comparable: NaN), popped best first: the ranker
 * needs only a page's head of ~150 scored candidates, so heapify (O(n)) plus a few pops replaces
 * sorting them all. The scores are compared inline (the hot part: ~60 pops a feed request); the
 * tie-break, a call, runs only for equal scores. `tieBefore` must be a strict total order on the
 * indices for a deterministic result.
 */
export class IndexHeap {
  private readonly heap: number[];
  private length: number;

  constructor(
    indices: number[],
    private readonly scores: ArrayLike<number>,
    private readonly tieBefore: (a: number, b: number) => boolean,
  ) {
    // takes ownership of `indices` (reordered in place)
    this.heap = indices;
    this.length = indices.length;
    for (let i = (this.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  get size(): number {
    return this.length;
  }

  /** The first index, removed (only while `size > 0`). */
  pop(): number {
    const heap = this.heap;
    const top = heap[0];
    const last = heap[--this.length];
    if (this.length > 0) {
      heap[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  /** a comes before b: a higher score, or an equal (NaN: incomparable) one and tieBefore. */
  private before(a: number, b: number): boolean {
    const d = this.scores[b] - this.scores[a];
    return d < 0 || (!(d > 0) && this.tieBefore(a, b));
  }

  private siftDown(from: number): void {
    const heap = this.heap;
    const n = this.length;
    const item = heap[from];
    let i = from;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.before(heap[right], heap[left]) ? right : left;
      if (!this.before(heap[child], item)) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = item;
  }
}
