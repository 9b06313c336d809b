// The HNSW graph's vector precision (issue 8): hnswlib-node's native searchKnn, float32 vs float16
// (half-precision graph, hits re-scored in float32), on the recall spec's workload (clustered
// 128-d, seeded). CPU us per search (process.cpuUsage, interleaved runs, so both see the same
// machine load), recall@10 / recall@32 vs exact, build CPU time, resident memory of each index,
// and the store's recall@10 at every filter selectivity of the recall spec with that precision.
//   npm run bench -- hnsw-precision [--points 10000] [--ef 48] [--k 33] [--runs 15]
//     [--batch 500] [--recall-queries 200] [--selectivity-ef 48,128] [--selectivity-queries 50]
import { loadavg } from 'node:os';
import { fullGc } from './full-gc';
import { HierarchicalNSW, type Precision } from 'hnswlib-node';
import {
  type Filter,
  InProcessVectorStore,
  RECALL_SELECTIVITIES,
  type RecallWorkload,
  bruteForceTopK,
  recallAtK,
  recallWorkload,
} from '@app/vector-store';

const PRECISIONS: Precision[] = ['float32', 'float16'];
const DIM = 128;

function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
}

const MB = 1024 * 1024;
const round = (n: number, digits = 3): number => Number(n.toFixed(digits));
const cpuUs = (): number => {
  const { user, system } = process.cpuUsage();
  return user + system;
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const quantile = (xs: number[], q: number): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))];

function unit(vector: ArrayLike<number>): Float32Array {
  const out = Float32Array.from(vector);
  let sum = 0;
  for (const x of out) sum += x * x;
  const norm = Math.sqrt(sum);
  return out.map((x) => x / norm);
}

interface Built {
  index: HierarchicalNSW;
  buildCpuMs: number;
  rssMB: number;
}

function buildIndex(vectors: Float32Array[], precision: Precision, m: number, efc: number): Built {
  fullGc();
  const rss0 = process.memoryUsage().rss;
  const cpu0 = cpuUs();
  const index = new HierarchicalNSW('ip', DIM, precision);
  index.initIndex(vectors.length, m, efc, 42, false);
  vectors.forEach((vector, label) => index.addPoint(vector, label));
  const buildCpuMs = (cpuUs() - cpu0) / 1000;
  fullGc();
  return {
    index,
    buildCpuMs: Math.round(buildCpuMs),
    rssMB: round((process.memoryUsage().rss - rss0) / MB, 1),
  };
}

/** recall@n of the first n hits vs the exact top n, for n = 10 and 32 (k must be >= 32). */
function recall(index: HierarchicalNSW, queries: Float32Array[], truth: number[][], k: number) {
  let at10 = 0;
  let at32 = 0;
  for (let q = 0; q < queries.length; q++) {
    const hits = Array.from(index.searchKnn(queries[q], k).neighbors, String);
    const expected = truth[q].map(String);
    at10 += recallAtK(expected.slice(0, 10), hits.slice(0, 10));
    at32 += recallAtK(expected.slice(0, 32), hits.slice(0, 32));
  }
  return { recallAt10: round(at10 / queries.length, 4), recallAt32: round(at32 / queries.length, 4) };
}

/** Interleaved runs of `batch` searches per precision: CPU us per search for each. */
function searchCost(
  indexes: Map<Precision, HierarchicalNSW>,
  queries: Float32Array[],
  k: number,
  runs: number,
  batch: number,
) {
  const samples = new Map<Precision, number[]>(PRECISIONS.map((p) => [p, []]));
  for (let run = 0; run < runs; run++) {
    const from = (run * batch) % Math.max(1, queries.length - batch);
    for (const [precision, index] of indexes) {
      const cpu0 = cpuUs();
      for (let q = from; q < from + batch; q++) index.searchKnn(queries[q], k);
      samples.get(precision)?.push((cpuUs() - cpu0) / batch);
    }
  }
  return samples;
}

async function storeRecall(w: RecallWorkload, precision: Precision, ef: number, queries: number) {
  const store = new InProcessVectorStore({
    dimension: DIM,
    exactSearchThreshold: 0, // the graph for every selectivity, as the recall spec's HNSW path
    hnsw: { efSearch: ef, precision },
  });
  for (let i = 0; i < w.points.length; i += 1000) await store.upsert(w.points.slice(i, i + 1000));
  const filters: [string, Filter | undefined][] = [['none', undefined]];
  for (const s of RECALL_SELECTIVITIES) {
    filters.push([`indexed ${s * 100}%`, w.indexedFilter(s)], [`range ${s * 100}%`, w.scanFilter(s)]);
  }
  const out: Record<string, number> = {};
  for (const [name, filter] of filters) {
    let sum = 0;
    for (const query of w.queries.slice(0, queries)) {
      const expected = bruteForceTopK(w.points, query, 10, filter).map((h) => h.id);
      const hits = await store.search({ vector: query, limit: 10, filter, withPayload: false });
      sum += recallAtK(
        expected,
        hits.map((h) => h.id),
      );
    }
    out[name] = round(sum / queries, 4);
  }
  return out;
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const points = Number(arg(args, 'points', '10000'));
  const ef = Number(arg(args, 'ef', '48'));
  const k = Number(arg(args, 'k', '33'));
  const runs = Number(arg(args, 'runs', '15'));
  const batch = Number(arg(args, 'batch', '500'));
  const m = Number(arg(args, 'm', '16'));
  const efc = Number(arg(args, 'ef-construction', '200'));
  const recallQueries = Number(arg(args, 'recall-queries', '200'));
  const selectivityEfs = arg(args, 'selectivity-ef', '48,128').split(',').filter(Boolean).map(Number);
  const selectivityQueries = Number(arg(args, 'selectivity-queries', '50'));
  const loadBefore = loadavg()[0];

  const w = recallWorkload({
    count: points,
    queries: Math.max(2 * batch, recallQueries, selectivityQueries),
  });
  const vectors = w.points.map((p) => unit(p.vector));
  const queries = w.queries.map(unit);
  const truth = queries
    .slice(0, recallQueries)
    .map((q) => bruteForceTopK(w.points, q, 32).map((h) => Number(h.id.slice(1))));

  const indexes = new Map<Precision, HierarchicalNSW>();
  const perPrecision: Record<string, Record<string, unknown>> = {};
  // both kept alive until the end, so each one's RSS growth is its own memory
  for (const precision of PRECISIONS) {
    const built = buildIndex(vectors, precision, m, efc);
    built.index.setEf(ef);
    indexes.set(precision, built.index);
    perPrecision[precision] = {
      buildCpuMs: built.buildCpuMs,
      indexRssMB: built.rssMB,
      ...recall(built.index, queries.slice(0, recallQueries), truth, Math.max(k, 32)),
    };
  }
  // warm-up, then the measured runs
  searchCost(indexes, queries, k, 2, batch);
  const samples = searchCost(indexes, queries, k, runs, batch);
  for (const precision of PRECISIONS) {
    const us = samples.get(precision) ?? [];
    perPrecision[precision].searchCpuUsMedian = round(median(us), 1);
    perPrecision[precision].searchCpuUsP25 = round(quantile(us, 0.25), 1);
  }
  const f32 = samples.get('float32') ?? [];
  const f16 = samples.get('float16') ?? [];
  const pairedRatio = round(median(f16.map((us, i) => us / f32[i])), 3);
  const loadAfterSearch = loadavg()[0];

  const storeRecallAt10: Record<string, unknown> = {};
  for (const selectivityEf of selectivityEfs)
    for (const precision of PRECISIONS)
      storeRecallAt10[`${precision} ef ${selectivityEf}`] = await storeRecall(
        w,
        precision,
        selectivityEf,
        selectivityQueries,
      );

  return {
    setup: {
      points,
      dimension: DIM,
      m,
      efConstruction: efc,
      ef,
      k,
      runs,
      batch,
      recallQueries,
      node: process.version,
    },
    loadAverage1m: {
      before: round(loadBefore, 2),
      afterSearch: round(loadAfterSearch, 2),
      end: round(loadavg()[0], 2),
    },
    ...perPrecision,
    float16VsFloat32SearchCpu: pairedRatio,
    storeRecallAt10,
  };
}
