// Cost of moving points already in the in-process store's HNSW graph (the recommender's stream
// replica re-upserts a stream on every stream-vector record), and recall@10 vs exact afterwards.
// 10k clustered 128-d points (the recall workload, seeded), then `--updates` moves through
// InProcessVectorStore.upsert in batches of `--batch` (as the replica applies a Kafka batch), each
// move turning a random point toward its own target by a log-uniform cosine distance:
//   writer: 1e-3 .. 1e-1 (what the embedding-writer publishes: mostly small moves)
//   small:  1e-3 .. 1e-2      large: 0.1 .. 0.5 (every point relocated several times)
//   same:   the point's current vector again (a payload-only record)
// Policies: 'full' = both update thresholds 0 (every move is hnswlib's addPoint on an existing
// label, the behaviour before the tiers), 'tiered' = the defaults (DEFAULT_HNSW_OPTIONS), and
// 'relink' = only the point re-linked on every move. CPU us per update (process.cpuUsage around the
// upserts only), how the graph applied them, and the store's recall@10 (every search through the
// graph: threshold 0) at each selectivity of the recall spec, indexed keyword and unindexed range.
//   npm run bench -- hnsw-update [--points 10000] [--updates 20000] [--batch 100]
//     [--dists writer,large,same] [--policies full,tiered] [--recall-queries 100]
import { loadavg } from 'node:os';
import {
  DEFAULT_HNSW_OPTIONS,
  type Filter,
  type HnswOptions,
  InProcessVectorStore,
  RECALL_SELECTIVITIES,
  type VectorPoint,
  bruteForceTopK,
  driftMoves,
  recallAtK,
  recallWorkload,
  seededRandom,
} from '@app/vector-store';

const DIM = 128;
const DISTANCES: Record<string, [number, number]> = {
  writer: [1e-3, 1e-1],
  small: [1e-3, 1e-2],
  large: [0.1, 0.5],
};
const POLICIES: Record<string, Partial<HnswOptions>> = {
  full: { moveInPlaceBelow: 0, fullUpdateFrom: 0 },
  tiered: {
    moveInPlaceBelow: DEFAULT_HNSW_OPTIONS.moveInPlaceBelow,
    fullUpdateFrom: DEFAULT_HNSW_OPTIONS.fullUpdateFrom,
  },
  relink: { moveInPlaceBelow: 0, fullUpdateFrom: Infinity },
};

function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
}

const round = (n: number, digits = 3): number => Number(n.toFixed(digits));
const cpuUs = (): number => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/** The moves of one distribution: [point index, new vector] in order, and the final vectors. */
function plan(points: VectorPoint[], dist: string, updates: number) {
  const vectors = points.map((p) => Float32Array.from(p.vector));
  if (dist === 'same') {
    const random = seededRandom(5);
    const moves = Array.from({ length: updates }, () => {
      const index = Math.floor(random() * vectors.length);
      return { index, vector: vectors[index] };
    });
    return { moves, final: vectors };
  }
  const [minDistance, maxDistance] = DISTANCES[dist] ?? DISTANCES.writer;
  return driftMoves(vectors, { moves: updates, seed: 5, minDistance, maxDistance });
}

async function recallBySelectivity(
  store: InProcessVectorStore,
  final: VectorPoint[],
  queries: Float32Array[],
  filters: [string, Filter | undefined][],
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, filter] of filters) {
    let sum = 0;
    for (const query of queries) {
      const expected = bruteForceTopK(final, query, 10, filter).map((h) => h.id);
      const hits = await store.search({ vector: query, limit: 10, filter, withPayload: false });
      sum += recallAtK(
        expected,
        hits.map((h) => h.id),
      );
    }
    out[name] = round(sum / queries.length, 4);
  }
  return out;
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const count = Number(arg(args, 'points', '10000'));
  const updates = Number(arg(args, 'updates', '20000'));
  const batch = Number(arg(args, 'batch', '100'));
  const dists = arg(args, 'dists', 'writer,large,same').split(',').filter(Boolean);
  const policies = arg(args, 'policies', 'full,tiered').split(',').filter(Boolean);
  const recallQueries = Number(arg(args, 'recall-queries', '100'));
  const w = recallWorkload({ count, queries: recallQueries });
  const filters: [string, Filter | undefined][] = [['none', undefined]];
  for (const s of RECALL_SELECTIVITIES) {
    filters.push([`indexed ${s * 100}%`, w.indexedFilter(s)], [`range ${s * 100}%`, w.scanFilter(s)]);
  }
  const results: Record<string, unknown>[] = [];
  for (const dist of dists) {
    const { moves, final } = plan(w.points, dist, updates);
    const finalPoints = w.points.map((p, i) => ({ ...p, vector: final[i] }));
    const batches: VectorPoint[][] = [];
    for (let i = 0; i < moves.length; i += batch) {
      batches.push(moves.slice(i, i + batch).map(({ index, vector }) => ({ ...w.points[index], vector })));
    }
    for (const policy of policies) {
      const store = new InProcessVectorStore({
        dimension: DIM,
        exactSearchThreshold: 0, // every search through the graph, as the recall spec's HNSW path
        hnsw: POLICIES[policy] ?? {},
      });
      for (let i = 0; i < w.points.length; i += 1000) await store.upsert(w.points.slice(i, i + 1000));
      const load = loadavg()[0];
      const cpu0 = cpuUs();
      const wall0 = performance.now();
      for (const points of batches) await store.upsert(points);
      const cpuPerUpdateUs = (cpuUs() - cpu0) / moves.length;
      const wallPerUpdateUs = ((performance.now() - wall0) * 1000) / moves.length;
      const recallAt10 = await recallBySelectivity(store, finalPoints, w.queries, filters);
      const minRecall = Math.min(...Object.values(recallAt10));
      results.push({
        dist,
        policy,
        cpuPerUpdateUs: round(cpuPerUpdateUs, 1),
        wallPerUpdateUs: round(wallPerUpdateUs, 1),
        ...store.stats().annUpdates,
        minRecall,
        recallAt10,
        loadAverage: round(load, 2),
      });
    }
  }
  return {
    setup: { points: count, dimension: DIM, updates, batch, recallQueries, hnsw: DEFAULT_HNSW_OPTIONS },
    results,
  };
}
