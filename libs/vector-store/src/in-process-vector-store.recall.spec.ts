import { bruteForceTopK, recallAtK } from './brute-force.oracle';
import { InProcessVectorStore } from './in-process-vector-store.adapter';
import type { Filter } from './payload-filter.types';
import { RECALL_SELECTIVITIES, recallWorkload } from './recall-workload.factory';
import type { VectorPoint } from './vector-store.interface';

// Correctness proof, not a speed test: recall@10 against exact float64 search on 10k clustered
// 128-d points (seeded), at every filter selectivity, for the exact and the HNSW paths.
const K = 10;
const workload = recallWorkload({ count: 10_000, queries: 50 });

// Ground truth per (points, filter), computed once and shared by the three stores.
const truthCache = new Map<string, string[][]>();
function groundTruth(points: readonly VectorPoint[], filter?: Filter): string[][] {
  const key = `${points.length}:${JSON.stringify(filter)}`;
  let truth = truthCache.get(key);
  if (!truth) {
    truth = workload.queries.map((q) => bruteForceTopK(points, q, K, filter).map((h) => h.id));
    truthCache.set(key, truth);
  }
  return truth;
}

async function meanRecall(store: InProcessVectorStore, points: readonly VectorPoint[], filter?: Filter) {
  let sum = 0;
  const truth = groundTruth(points, filter);
  for (const [i, query] of workload.queries.entries()) {
    const expected = truth[i];
    const hits = await store.search({ vector: query, limit: K, filter, withPayload: false });
    // A selective filter must still fill k results (filter applied during the search, not after).
    expect(hits).toHaveLength(expected.length);
    sum += recallAtK(
      expected,
      hits.map((h) => h.id),
    );
  }
  return sum / workload.queries.length;
}

async function load(store: InProcessVectorStore): Promise<InProcessVectorStore> {
  for (let i = 0; i < workload.points.length; i += 1000)
    await store.upsert(workload.points.slice(i, i + 1000));
  return store;
}

const cases = RECALL_SELECTIVITIES.flatMap((selectivity) => [
  { selectivity, kind: 'indexed keyword', filter: workload.indexedFilter(selectivity) },
  { selectivity, kind: 'unindexed range', filter: workload.scanFilter(selectivity) },
]);

describe('InProcessVectorStore recall@10 on 10k x 128-d', () => {
  let exact: InProcessVectorStore;
  let hnsw: InProcessVectorStore;
  let planned: InProcessVectorStore;

  beforeAll(async () => {
    exact = await load(new InProcessVectorStore({ dimension: 128, exactSearchThreshold: Infinity }));
    hnsw = await load(new InProcessVectorStore({ dimension: 128, exactSearchThreshold: 0 }));
    planned = await load(new InProcessVectorStore({ dimension: 128 }));
  }, 90_000);

  it('builds the HNSW graph only when some search can use it', () => {
    expect(exact.stats().annActive).toBe(false);
    expect(hnsw.stats().annActive).toBe(true);
    expect(planned.stats().annActive).toBe(true); // auto threshold 2500 < 10k points
  });

  it.each(cases)('exact path: $selectivity $kind filter has recall 1.00', async ({ filter }) => {
    expect(await meanRecall(exact, workload.points, filter)).toBe(1);
  });

  it.each(cases)('HNSW path: $selectivity $kind filter has recall >= 0.99', async ({ filter }) => {
    expect(await meanRecall(hnsw, workload.points, filter)).toBeGreaterThanOrEqual(0.99);
  });

  // Default 'auto' planner: exact up to 2500 candidates (0.1%, 1%), the graph above (10%, 100%).
  it.each(cases)('default planner: $selectivity $kind filter has recall >= 0.99', async ({ filter }) => {
    expect(await meanRecall(planned, workload.points, filter)).toBeGreaterThanOrEqual(0.99);
  });

  it('HNSW path without a filter has recall >= 0.99', async () => {
    expect(await meanRecall(hnsw, workload.points)).toBeGreaterThanOrEqual(0.99);
  });

  it('HNSW keeps recall >= 0.99 after deleting 10% and moving 10% of the points', async () => {
    const points = workload.points.map((p) => ({ ...p }));
    const deleted = points.filter((_, i) => i % 10 === 3).map((p) => p.id);
    const moved = points.filter((_, i) => i % 10 === 7);
    moved.forEach((p, i) => (p.vector = workload.points[(i * 31) % points.length].vector));
    await hnsw.delete(deleted);
    await hnsw.upsert(moved);
    const gone = new Set(deleted);
    const remaining = points.filter((p) => !gone.has(p.id));
    expect(await hnsw.count()).toBe(remaining.length);
    expect(await meanRecall(hnsw, remaining)).toBeGreaterThanOrEqual(0.99);
    expect(await meanRecall(hnsw, remaining, workload.indexedFilter(0.01))).toBeGreaterThanOrEqual(0.99);
  });
});
