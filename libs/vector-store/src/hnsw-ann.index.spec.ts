import { HnswAnnIndex, type HnswPrecision } from './hnsw-ann.index';
import { clusteredSpace } from './clustered-vectors.factory';
import { dotAt, normalized } from './vector-math.kernel';

// The patched addon's typed path (patches/hnswlib-node+3.0.0.patch): Float32Array in, typed
// arrays out, nearest first, distances = 1 - cosine of the stored float32 rows, in both
// precisions ('float16' walks a half-precision graph and re-scores its hits in float32).
const DIM = 16;
const OPTIONS = { m: 8, efConstruction: 64, efSearch: 64, seed: 7 };
const PRECISIONS: HnswPrecision[] = ['float32', 'float16'];

function tag(value: unknown): string {
  // by tag, not instanceof: the addon's typed arrays come from another realm under jest
  return Object.prototype.toString.call(value);
}

const space = clusteredSpace({ dimension: DIM, clusters: 6, spread: 0.1, seed: 3 });
const rows = space.sample(300, 5).map((v) => normalized(v, DIM));
const arena = new Float32Array(rows.length * DIM);
rows.forEach((row, slot) => arena.set(row, slot * DIM));

function build(capacity: number, precision: HnswPrecision): HnswAnnIndex {
  const index = new HnswAnnIndex(DIM, capacity, { ...OPTIONS, precision });
  // views into one buffer, as the store passes arena rows
  rows.forEach((_, slot) => index.upsert(slot, arena.subarray(slot * DIM, (slot + 1) * DIM)));
  return index;
}

describe.each(PRECISIONS)('HnswAnnIndex, precision %s (typed hnswlib-node path)', (precision) => {
  it('answers with typed arrays, nearest first, distances 1 - dot of the stored rows', () => {
    const index = build(rows.length, precision);
    const query = rows[42];
    const { neighbors, distances } = index.search(query, 10);
    expect(tag(neighbors)).toBe('[object Uint32Array]');
    expect(tag(distances)).toBe('[object Float32Array]');
    expect(neighbors).toHaveLength(10);
    expect(neighbors[0]).toBe(42);
    // float32 exact for both precisions: half precision would be off by ~1e-4
    for (let i = 0; i < neighbors.length; i++)
      expect(distances[i]).toBeCloseTo(1 - dotAt(arena, neighbors[i] * DIM, query, DIM), 6);
    expect([...distances]).toEqual([...distances].sort((a, b) => a - b));
  });

  it('grows past its initial capacity and never returns removed slots', () => {
    const index = build(8, precision);
    expect(index.capacity).toBeGreaterThanOrEqual(rows.length);
    index.remove(42);
    const { neighbors } = index.search(rows[42], 5, (slot) => slot % 2 === 0);
    expect(neighbors).toHaveLength(5);
    for (const slot of neighbors) {
      expect(slot).not.toBe(42);
      expect(slot % 2).toBe(0);
    }
  });

  it('moves a point on upsert of its slot, scoring it against its new vector', () => {
    const index = build(rows.length, precision);
    index.upsert(7, rows[200]);
    const { neighbors, distances } = index.search(rows[200], 2);
    expect([...neighbors].sort((a, b) => a - b)).toEqual([7, 200]);
    expect(distances[0]).toBe(distances[1]);
    expect(neighbors[0]).toBe(7); // equal distances: lower slot first
  });

  it('answers an empty result before the first point, and rejects a wrong dimension', () => {
    const index = new HnswAnnIndex(DIM, 4, { ...OPTIONS, precision });
    expect(index.search(rows[0], 3).neighbors).toHaveLength(0);
    index.upsert(0, rows[0]);
    expect(() => index.search(new Float32Array(DIM - 1), 1)).toThrow(/expected 16, but got 15/);
  });
});

describe('HnswAnnIndex float16 vs float32', () => {
  it('returns the same distances for the same neighbours, and finds (almost) the same ones', () => {
    const full = build(rows.length, 'float32');
    const half = build(rows.length, 'float16');
    const queries = space.sample(50, 11).map((v) => normalized(v, DIM));
    let shared = 0;
    for (const query of queries) {
      const a = full.search(query, 10);
      const b = half.search(query, 10);
      const exact = new Map([...a.neighbors].map((slot, i) => [slot, a.distances[i]]));
      b.neighbors.forEach((slot, i) => {
        const distance = exact.get(slot);
        if (distance === undefined) return;
        shared++;
        expect(b.distances[i]).toBe(distance); // bit for bit: the same float32 kernel
      });
    }
    expect(shared / (queries.length * 10)).toBeGreaterThanOrEqual(0.98);
  });

  it('counts the float32 copy in its memory estimate', () => {
    const full = new HnswAnnIndex(128, 1000, { ...OPTIONS, precision: 'float32' });
    const half = new HnswAnnIndex(128, 1000, { ...OPTIONS, precision: 'float16' });
    expect(half.byteEstimate - full.byteEstimate).toBe(1000 * 128 * 2);
  });
});
