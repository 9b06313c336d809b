/**
 * A min-heap of scheduled actions by event time; equal times pop in scheduling order (seq), so
 * the simulation is deterministic.
 */
export interface Scheduled<A> {
  at: number;
  seq: number;
  action: A;
}

export class EventQueue<A> {
  private readonly heap: Scheduled<A>[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(at: number, action: A): void {
    const item = { at, seq: this.seq++, action };
    const heap = this.heap;
    let i = heap.length;
    heap.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(item, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = item;
  }

  peekTime(): number {
    return this.heap.length > 0 ? this.heap[0].at : Infinity;
  }

  pop(): Scheduled<A> | undefined {
    const heap = this.heap;
    if (heap.length === 0) return undefined;
    const top = heap[0];
    const last = heap.pop() as Scheduled<A>;
    if (heap.length > 0) {
      let i = 0;
      const n = heap.length;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        const child = right < n && before(heap[right], heap[left]) ? right : left;
        if (!before(heap[child], last)) break;
        heap[i] = heap[child];
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}

function before<A>(x: Scheduled<A>, y: Scheduled<A>): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq);
}
