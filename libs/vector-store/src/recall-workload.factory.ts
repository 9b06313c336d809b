import { clusteredSpace, seededRandom } from './clustered-vectors.factory';
import type { Filter } from './payload-filter.types';
import type { VectorPoint } from './vector-store.interface';

/** Filter selectivities the recall proof covers: share of points a filter lets through. */
export const RECALL_SELECTIVITIES = [0.001, 0.01, 0.1, 1] as const;

export interface RecallWorkload {
  points: VectorPoint[];
  queries: Float32Array[];
  /** Equality filter on an indexed keyword field (`category`), or `live` for 100%. */
  indexedFilter(selectivity: number): Filter;
  /** Range filter on an unindexed integer (`rank`), so the store has to estimate by sampling. */
  scanFilter(selectivity: number): Filter;
}

const CATEGORIES = 1000;

/**
 * `count` clustered points with payloads whose filters are independent of the vectors:
 * `category` c0..c999 and `rank` (a permutation of 0..count-1), both assigned at random.
 */
export function recallWorkload(options: {
  count: number;
  queries: number;
  dimension?: number;
  seed?: number;
}): RecallWorkload {
  const dimension = options.dimension ?? 128;
  const seed = options.seed ?? 7;
  const space = clusteredSpace({ dimension, clusters: 64, spread: 0.05, seed });
  const vectors = space.sample(options.count, seed + 1);
  const random = seededRandom(seed + 2);
  const ranks = vectors.map((_, i) => i);
  for (let i = ranks.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [ranks[i], ranks[j]] = [ranks[j], ranks[i]];
  }
  const points = vectors.map((vector, i) => ({
    id: `p${i}`,
    vector,
    payload: { live: true, category: `c${ranks[i] % CATEGORIES}`, rank: ranks[i] },
  }));
  return {
    points,
    queries: space.sample(options.queries, seed + 3),
    indexedFilter(selectivity) {
      if (selectivity >= 1) return { must: [{ key: 'live', match: { value: true } }] };
      const n = Math.max(1, Math.round(selectivity * CATEGORIES));
      return { must: [{ key: 'category', match: { any: Array.from({ length: n }, (_, i) => `c${i}`) } }] };
    },
    scanFilter(selectivity) {
      return { must: [{ key: 'rank', range: { lt: Math.round(selectivity * options.count) } }] };
    },
  };
}
