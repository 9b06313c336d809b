// Filtered vector search: recall@10 vs exact, query latency p50/p99, build time and memory of the
// in-process store at 10k and 100k clustered 128-d points (seeded). Three planner settings:
// 'auto' threshold, HNSW for everything (threshold 0), exact for everything (no graph).
//   npm run bench -- vector-search [--sizes 10000,100000] [--queries 300] [--recall-queries 100]
import * as hdr from 'hdr-histogram-js';
import { fullGc } from './full-gc';
import {
  type Filter,
  InProcessVectorStore,
  type RecallWorkload,
  bruteForceTopK,
  recallAtK,
  recallWorkload,
} from '@app/vector-store';

const K = 10;

function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
}

function memory(): { heap: number; external: number; rss: number } {
  fullGc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, external: m.external, rss: m.rss };
}

const MB = 1024 * 1024;
const round = (n: number, digits = 3): number => Number(n.toFixed(digits));

async function load(store: InProcessVectorStore, w: RecallWorkload) {
  const before = memory();
  const started = performance.now();
  for (let i = 0; i < w.points.length; i += 1000) await store.upsert(w.points.slice(i, i + 1000));
  const buildMs = performance.now() - started;
  const after = memory();
  const per10k = 10_000 / w.points.length;
  return {
    buildMs: Math.round(buildMs),
    memoryPer10kMB: {
      jsHeap: round(((after.heap - before.heap) * per10k) / MB, 2),
      external: round(((after.external - before.external) * per10k) / MB, 2),
      rss: round(((after.rss - before.rss) * per10k) / MB, 2),
    },
    stats: store.stats(),
  };
}

function cases(w: RecallWorkload): { name: string; filter?: Filter }[] {
  return [
    { name: 'no filter' },
    { name: 'indexed 100%', filter: w.indexedFilter(1) },
    { name: 'indexed 10%', filter: w.indexedFilter(0.1) },
    { name: 'indexed 1%', filter: w.indexedFilter(0.01) },
    { name: 'indexed 0.1%', filter: w.indexedFilter(0.001) },
    { name: 'unindexed range 10%', filter: w.scanFilter(0.1) },
    { name: 'unindexed range 1%', filter: w.scanFilter(0.01) },
  ];
}

async function measure(
  store: InProcessVectorStore,
  w: RecallWorkload,
  filter: Filter | undefined,
  truth: string[][],
  latencyQueries: number,
) {
  let recall = 0;
  for (let i = 0; i < truth.length; i++) {
    const hits = await store.search({ vector: w.queries[i], limit: K, filter, withPayload: false });
    recall += recallAtK(
      truth[i],
      hits.map((h) => h.id),
    );
  }
  // Latency in microseconds, as a feed query sees it (payloads included).
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000 });
  for (let i = 0; i < latencyQueries; i++) {
    const query = w.queries[i % w.queries.length];
    const t0 = performance.now();
    await store.search({ vector: query, limit: K, filter });
    histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
  }
  const result = {
    recallAt10: round(recall / truth.length, 4),
    p50ms: round(histogram.getValueAtPercentile(50) / 1000),
    p99ms: round(histogram.getValueAtPercentile(99) / 1000),
  };
  histogram.destroy();
  return result;
}

async function benchSize(size: number, latencyQueries: number, recallQueries: number) {
  const w = recallWorkload({ count: size, queries: Math.max(latencyQueries, recallQueries) });
  const filterCases = cases(w);
  const truth = filterCases.map(({ filter }) =>
    w.queries.slice(0, recallQueries).map((q) => bruteForceTopK(w.points, q, K, filter).map((h) => h.id)),
  );
  const modes = {
    'planner (auto threshold)': {},
    'hnsw always (threshold 0)': { exactSearchThreshold: 0 },
    'exact always (no graph)': { exactSearchThreshold: Infinity },
  };
  const out: Record<string, unknown> = {};
  for (const [mode, options] of Object.entries(modes)) {
    let store: InProcessVectorStore | null = new InProcessVectorStore({ dimension: 128, ...options });
    const build = await load(store, w);
    const latency: Record<string, unknown> = {};
    for (let c = 0; c < filterCases.length; c++) {
      // Queries 50..: a short warm-up so JIT and caches settle before measuring.
      for (let i = 0; i < 50; i++)
        await store.search({ vector: w.queries[i], limit: K, filter: filterCases[c].filter });
      latency[filterCases[c].name] = await measure(store, w, filterCases[c].filter, truth[c], latencyQueries);
    }
    out[mode] = { ...build, queries: latency };
    store = null; // release before the next mode's measurements
  }
  return out;
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const sizes = arg(args, 'sizes', '10000,100000').split(',').map(Number);
  const latencyQueries = Number(arg(args, 'queries', '300'));
  const recallQueries = Number(arg(args, 'recall-queries', '100'));
  const result: Record<string, unknown> = {
    setup: { dimension: 128, k: K, latencyQueries, recallQueries, clusters: 64, node: process.version },
  };
  for (const size of sizes) result[`${size} points`] = await benchSize(size, latencyQueries, recallQueries);
  return result;
}
