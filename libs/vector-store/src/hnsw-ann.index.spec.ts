import { HnswAnnIndex } from './hnsw-ann.index';
import { clusteredSpace } from './clustered-vectors.factory';
import { dotAt, normalized } from './vector-math.kernel';

// The patched addon's typed path (patches/hnswlib-node+3.0.0.patch): Float32Array in, typed
// arrays out, nearest first, distances = 1 - cosine of the stored float32 rows.
const DIM = 16;
const OPTIONS = { m: 8, efConstruction: 64, efSearch: 64, seed: 7 };

function tag(value: unknown): string {
  // by tag, not instanceof: the addon's typed arrays come from another realm under jest
  return Object.prototype.toString.call(value);
}

describe('HnswAnnIndex (typed hnswlib-node path)', () => {
  const space = clusteredSpace({ dimension: DIM, clusters: 6, spread: 0.1, seed: 3 });
  const rows = space.sample(300, 5).map((v) => normalized(v, DIM));
  const arena = new Float32Array(rows.length * DIM);
  rows.forEach((row, slot) => arena.set(row, slot * DIM));

  function build(capacity: number): HnswAnnIndex {
    const index = new HnswAnnIndex(DIM, capacity, OPTIONS);
    // views into one buffer, as the store passes arena rows
    rows.forEach((_, slot) => index.upsert(slot, arena.subarray(slot * DIM, (slot + 1) * DIM)));
    return index;
  }

  it('answers with typed arrays, nearest first, distances 1 - dot of the stored rows', () => {
    const index = build(rows.length);
    const query = rows[42];
    const { neighbors, distances } = index.search(query, 10);
    expect(tag(neighbors)).toBe('[object Uint32Array]');
    expect(tag(distances)).toBe('[object Float32Array]');
    expect(neighbors).toHaveLength(10);
    expect(neighbors[0]).toBe(42);
    for (let i = 0; i < neighbors.length; i++)
      expect(distances[i]).toBeCloseTo(1 - dotAt(arena, neighbors[i] * DIM, query, DIM), 5);
    expect([...distances]).toEqual([...distances].sort((a, b) => a - b));
  });

  it('grows past its initial capacity and never returns removed slots', () => {
    const index = build(8);
    expect(index.capacity).toBeGreaterThanOrEqual(rows.length);
    index.remove(42);
    const { neighbors } = index.search(rows[42], 5, (slot) => slot % 2 === 0);
    expect(neighbors).toHaveLength(5);
    for (const slot of neighbors) {
      expect(slot).not.toBe(42);
      expect(slot % 2).toBe(0);
    }
  });

  it('answers an empty result before the first point, and rejects a wrong dimension', () => {
    const index = new HnswAnnIndex(DIM, 4, OPTIONS);
    expect(index.search(rows[0], 3).neighbors).toHaveLength(0);
    index.upsert(0, rows[0]);
    expect(() => index.search(new Float32Array(DIM - 1), 1)).toThrow(/expected 16, but got 15/);
  });
});
