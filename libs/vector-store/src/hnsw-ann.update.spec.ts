import { bruteForceTopK, recallAtK } from './brute-force.oracle';
import { clusteredSpace } from './clustered-vectors.factory';
import { driftMoves, turnToward } from './drift-workload.factory';
import { HnswAnnIndex, type HnswOptions, type HnswPrecision } from './hnsw-ann.index';
import { recallWorkload } from './recall-workload.factory';
import { dotAt, normalized } from './vector-math.kernel';

// Updates of points already in the graph (HnswOptions.moveInPlaceBelow / fullUpdateFrom): which
// path each drift takes, that a moved point is found and scored at its new place, and recall@10
// vs exact after many writer-like drifts (deterministic seeds).
const DIM = 16;
const SMALL = { m: 8, efConstruction: 64, efSearch: 64, seed: 7 };
const space = clusteredSpace({ dimension: DIM, clusters: 6, spread: 0.1, seed: 3 });
const rows = space.sample(300, 5).map((v) => normalized(v, DIM));

function build(options: Partial<HnswOptions> & { precision: HnswPrecision }): HnswAnnIndex {
  const index = new HnswAnnIndex(DIM, rows.length, { ...SMALL, ...options });
  rows.forEach((row, slot) => index.upsert(slot, row));
  return index;
}

const cosineDistance = (a: Float32Array, b: Float32Array): number => 1 - dotAt(a, 0, b, a.length);

describe.each<HnswPrecision>(['float32', 'float16'])('HnswAnnIndex updates, precision %s', (precision) => {
  it('moves in place under moveInPlaceBelow, re-links the point up to fullUpdateFrom, fully above', () => {
    const index = build({ precision, moveInPlaceBelow: 0.1, fullUpdateFrom: 0.2 });
    const moves = [0.01, 0.15].map((d) => turnToward(rows[5], rows[250], d));
    moves.push(turnToward(moves[1], rows[100], 0.5));
    index.upsert(5, moves[0]);
    expect(index.updateCounts).toEqual({ inPlace: 1, relinked: 0, full: 0 });
    // its links were kept, its vector is the new one: found and scored against it
    const found = index.search(moves[0], 1);
    expect(found.neighbors[0]).toBe(5);
    expect(found.distances[0]).toBeCloseTo(0, 6);
    // drift is measured from the vector it was last linked at (rows[5]), not from the last move
    index.upsert(5, moves[1]);
    expect(index.updateCounts).toEqual({ inPlace: 1, relinked: 1, full: 0 });
    index.upsert(5, moves[2]);
    expect(index.updateCounts).toEqual({ inPlace: 1, relinked: 1, full: 1 });
    const moved = index.search(moves[2], 2);
    expect(moved.neighbors[0]).toBe(5);
    expect(moved.distances[0]).toBeCloseTo(0, 6);
  });

  it('adds up small moves: re-links once the drift since the last link reaches the threshold', () => {
    const index = build({ precision, moveInPlaceBelow: 0.1, fullUpdateFrom: 0.2 });
    let anchor = rows[9];
    let vector = rows[9];
    const expected = { inPlace: 0, relinked: 0, full: 0 };
    for (let step = 0; step < 12; step++) {
      vector = turnToward(vector, rows[200], 0.02);
      const drift = cosineDistance(anchor, vector);
      if (drift < 0.1) expected.inPlace++;
      else {
        if (drift < 0.2) expected.relinked++;
        else expected.full++;
        anchor = vector;
      }
      index.upsert(9, vector);
    }
    expect(expected.relinked).toBeGreaterThan(0); // the walk did cross the threshold
    expect(index.updateCounts).toEqual(expected);
    expect(index.search(vector, 1).neighbors[0]).toBe(9);
  });

  it('with both thresholds 0, every update is the full one (addPoint on an existing label)', () => {
    const index = build({ precision, moveInPlaceBelow: 0, fullUpdateFrom: 0 });
    index.upsert(3, turnToward(rows[3], rows[100], 0.001));
    index.upsert(3, turnToward(rows[3], rows[100], 0.3));
    expect(index.updateCounts).toEqual({ inPlace: 0, relinked: 0, full: 2 });
  });

  it('a removed slot upserted again is re-added, not moved', () => {
    const index = build({ precision });
    index.remove(4);
    index.upsert(4, turnToward(rows[4], rows[120], 0.001));
    expect(index.updateCounts).toEqual({ inPlace: 0, relinked: 0, full: 0 });
    expect(index.search(rows[4], 1).neighbors[0]).toBe(4);
  });
});

describe('HnswAnnIndex recall@10 after drift (4k x 128-d clustered, seeded)', () => {
  const K = 10;
  const workload = recallWorkload({ count: 4_000, queries: 60, seed: 21 });
  const vectors = workload.points.map((p) => normalized(p.vector, 128));
  const rank = workload.points.map((p) => Number(p.payload.rank));
  const queries = workload.queries.map((q) => normalized(q, 128));

  function driftedIndex(options: Partial<HnswOptions>, minDistance: number, maxDistance: number) {
    const index = new HnswAnnIndex(128, vectors.length, { ...DEFAULT_OPTIONS, ...options });
    vectors.forEach((vector, slot) => index.upsert(slot, vector));
    const { moves, final } = driftMoves(vectors, { moves: 8_000, seed: 5, minDistance, maxDistance });
    for (const { index: slot, vector } of moves) index.upsert(slot, vector);
    return { index, final };
  }

  /** Mean recall@10 vs exact over the final vectors; `share` of points pass the filter. */
  function recall(index: HnswAnnIndex, final: Float32Array[], share: number): number {
    const points = final.map((vector, i) => ({ id: String(i), vector, payload: { rank: rank[i] } }));
    const filter = share < 1 ? { must: [{ key: 'rank', range: { lt: share * final.length } }] } : undefined;
    const allow = share < 1 ? (slot: number) => rank[slot] < share * final.length : undefined;
    let sum = 0;
    for (const query of queries) {
      const expected = bruteForceTopK(points, query, K, filter).map((h) => h.id);
      const found = index.search(query, K, allow);
      sum += recallAtK(expected, Array.from(found.neighbors, String));
    }
    return sum / queries.length;
  }

  it('writer-like drifts (1e-3 .. 1e-1): recall >= 0.99 at 100 %, 10 % and 1 % selectivity, mostly in place', () => {
    const { index, final } = driftedIndex({}, 1e-3, 1e-1);
    const counts = index.updateCounts;
    expect(counts.inPlace).toBeGreaterThan(2 * (counts.relinked + counts.full));
    for (const share of [1, 0.1, 0.01]) expect(recall(index, final, share)).toBeGreaterThanOrEqual(0.99);
  }, 60_000);

  it('the recall check can fail: large moves applied in place only lose neighbours', () => {
    const { index, final } = driftedIndex({ moveInPlaceBelow: Infinity }, 0.2, 0.6);
    expect(index.updateCounts.inPlace).toBe(8_000);
    expect(recall(index, final, 1)).toBeLessThan(0.95);
  }, 60_000);
});

const DEFAULT_OPTIONS = {
  m: 16,
  efConstruction: 200,
  efSearch: 128,
  seed: 42,
  precision: 'float32' as const,
};
