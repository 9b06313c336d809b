import { seededRandom } from './clustered-vectors.factory';
import { TopKHeap, dotAt, normalized } from './vector-math.kernel';
import { VectorStoreRequestError } from './vector-store.error';

describe('vector math kernel', () => {
  it('dotAt equals the naive dot product for dimensions not divisible by 4', () => {
    const random = seededRandom(1);
    for (const dim of [1, 3, 4, 7, 128, 130]) {
      const data = Float32Array.from({ length: dim * 3 }, () => random() - 0.5);
      const q = Float32Array.from({ length: dim }, () => random() - 0.5);
      let naive = 0;
      for (let i = 0; i < dim; i++) naive += data[dim + i] * q[i];
      expect(dotAt(data, dim, q, dim)).toBeCloseTo(naive, 6);
    }
  });

  it('normalized gives unit length and rejects zero, non-finite and wrong-size vectors', () => {
    const v = normalized([3, 4], 2);
    expect(Array.from(v)).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.8, 6)]);
    expect(() => normalized([0, 0], 2)).toThrow(VectorStoreRequestError);
    expect(() => normalized([NaN, 1], 2)).toThrow(VectorStoreRequestError);
    expect(() => normalized([1, 2, 3], 2)).toThrow(VectorStoreRequestError);
  });

  it('TopKHeap keeps exactly the k best scores, best first', () => {
    const random = seededRandom(2);
    const scores = Array.from({ length: 1000 }, () => random());
    const heap = new TopKHeap(10);
    scores.forEach((s, slot) => heap.push(s, slot));
    const expected = scores
      .map((score, slot) => ({ slot, score }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 10);
    expect(heap.drain()).toEqual(expected);
  });

  it('TopKHeap with k larger than the input returns everything sorted', () => {
    const heap = new TopKHeap(5);
    heap.push(0.1, 1);
    heap.push(0.9, 2);
    expect(heap.drain()).toEqual([
      { slot: 2, score: 0.9 },
      { slot: 1, score: 0.1 },
    ]);
  });
});
