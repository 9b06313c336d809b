import { IndexHeap } from './index.heap';

describe('IndexHeap', () => {
  it('pops indices in the order a full sort gives, ties included', () => {
    const scores = [5, 1, 9, 5, 3, 9, 0, 7, 5, 2, 8, 1, Infinity, -Infinity];
    const indices = scores.map((_, i) => i);
    // the ranker's order: score difference, else (equal) the tie-break
    const sorted = [...indices].sort((a, b) => scores[b] - scores[a] || a - b);
    const heap = new IndexHeap(indices, scores, (a, b) => a < b);
    const popped: number[] = [];
    while (heap.size > 0) popped.push(heap.pop());
    expect(popped).toEqual(sorted);
  });

  it('handles empty and single-element heaps', () => {
    expect(new IndexHeap([], [], () => true).size).toBe(0);
    const one = new IndexHeap([4], [0, 0, 0, 0, 1], () => false);
    expect(one.pop()).toBe(4);
    expect(one.size).toBe(0);
  });
});
