import {
  Condition,
  Filter,
  InProcessVectorStore,
  Payload,
  ScoredPoint,
  SearchRequest,
} from '@app/vector-store';
import { LiveMetricsCache, rankingCandidateOf } from '../live-metrics/live-metrics.cache';
import { LiveIndex, RankingCandidate, UserSignals } from '../ranking/ranking.types';
import { StreamIndex } from './stream-index';

export interface CandidateQuery {
  vector: Float32Array | null;
  user: UserSignals;
  category?: string;
  language?: string;
  excludeSellerIds: ReadonlySet<string>;
  /** Streams already served in this cursor chain. */
  excludeStreamIds: ReadonlySet<string>;
  vectorLimit: number;
  trendingLimit: number;
}

export interface CandidateSet {
  candidates: RankingCandidate[];
  /**
   * The similarity of candidates[i] for i < length (the vector hits come first), none past it
   * (RankRequest.similarities): the shared candidates of the metrics cache are not copied per hit.
   */
  similarities: number[];
  /**
   * The key (the metrics cache's slot) of each candidate that is a live stream of `live`, -1 for
   * the others (RankRequest.keys): the ranker needs not read the candidate objects.
   */
  keys: number[];
  /** The vector search failed (e.g. Qdrant down) or the index is still catching up. */
  degraded: boolean;
  /** The metrics cache's live index, taken with the candidates (RankRequest.live). */
  live: LiveIndex;
}

/** A vector hit; `label`: the in-process store's integer for the point (searchLabeled). */
export type SearchHit = ScoredPoint & { label?: number };

/** Sellers read from the user's state for source (b); the aggregator keeps them ordered. */
const MAX_AFFINITY_SELLERS = 50;

/** The hits of a search that failed (Qdrant down, timeout): the feed goes on degraded without them. */
export const FAILED: readonly ScoredPoint[] = Object.freeze([]);

/**
 * The three candidate sources of a feed: (a) vector search with the user's vector and the filters
 * inside the query, (b) live streams of sellers the user follows or keeps coming back to, (c)
 * trending live streams. No per-candidate I/O: metrics come from the in-process cache.
 */
export class CandidateService {
  constructor(
    private readonly index: StreamIndex,
    private readonly metrics: LiveMetricsCache,
  ) {}

  /** `search` then `assemble`: the three sources of one query. */
  async gather(q: CandidateQuery): Promise<CandidateSet> {
    const search = this.search(q);
    if (search.hits === null) return this.assemble(q, null, search.ready);
    try {
      return this.assemble(q, await search.hits, search.ready);
    } catch {
      return this.assemble(q, FAILED, search.ready);
    }
  }

  /**
   * Starts source (a), the vector search with the filters inside the one query (`hits` null when
   * there is nothing to search: no user vector), and notes whether the index was ready (caught up)
   * at that moment. The caller awaits `hits` (the store's own promise, no wrapper) and passes them,
   * or FAILED if it rejects, to `assemble`.
   */
  search(q: CandidateQuery): { hits: Promise<SearchHit[]> | null; ready: boolean } {
    const ready = this.index.ready();
    if (!q.vector || q.vectorLimit <= 0) return { hits: null, ready };
    try {
      // over-fetch by what this chain already served, which the filter cannot exclude (point ids)
      const request: SearchRequest = {
        vector: q.vector,
        filter: liveFilter(q),
        limit: q.vectorLimit + Math.min(q.excludeStreamIds.size, q.vectorLimit),
      };
      const store = this.index.store;
      // the in-process store labels its hits: the metrics cache reaches them by index, not by id
      const hits =
        store instanceof InProcessVectorStore ? store.searchLabeled(request) : store.search(request);
      return { hits, ready };
    } catch (error) {
      return { hits: Promise.reject(error instanceof Error ? error : new Error(String(error))), ready };
    }
  }

  /**
   * The candidates of a query from the search's hits (null: not searched; FAILED: the index
   * failed; `ready`: as `search` found the index), the user's sellers and trending. Synchronous:
   * no per-candidate I/O, the metrics cache answers, and its shared candidates are reached
   * without an id lookup per seller stream.
   */
  assemble(q: CandidateQuery, hits: readonly SearchHit[] | null, ready: boolean): CandidateSet {
    const metrics = this.metrics;
    const out: RankingCandidate[] = [];
    const keys: number[] = [];
    const similarities: number[] = [];
    const degraded = hits === FAILED || !ready;
    // a first page excludes no stream: no id is read (a cache miss per candidate) just to check
    const served = q.excludeStreamIds.size > 0 ? q.excludeStreamIds : null;
    if (hits !== null) {
      for (const hit of hits) {
        if (served?.has(hit.id)) continue;
        const slot = metrics.liveSlotOfHit(hit.id, hit.label);
        const c = slot >= 0 ? metrics.liveCandidateAt(slot) : this.fromHit(hit);
        if (c === null) continue;
        out.push(c);
        keys.push(slot);
        similarities.push(hit.score);
      }
    }
    const filtered = q.category !== undefined || q.language !== undefined;
    for (const sellerId of affinitySellers(q.user)) {
      if (q.excludeSellerIds.has(sellerId)) continue;
      for (const slot of metrics.liveSlotsOf(sellerId)) {
        // the candidate object is read only to check a filter or the chain's exclusions
        const c = metrics.liveCandidateAt(slot);
        if (served?.has(c.streamId)) continue;
        if (filtered && !matches(c, q)) continue;
        out.push(c);
        keys.push(slot);
      }
    }
    const trending = metrics.trendingCandidates({
      category: q.category,
      language: q.language,
      excludeSellerIds: q.excludeSellerIds,
      excludeStreamIds: q.excludeStreamIds,
      limit: q.trendingLimit,
    });
    for (const c of trending) {
      out.push(c);
      keys.push(c.key ?? -1);
    }
    return { candidates: out, keys, similarities, degraded, live: metrics.liveIndex() };
  }

  /**
   * A vector hit that is not a live stream of the metrics cache (whose shared candidate `assemble`
   * takes as it is): the cache's ended stream stays not live, else the hit's payload says.
   */
  private fromHit(hit: ScoredPoint): RankingCandidate | null {
    const known = this.metrics.get(hit.id);
    if (known) return { ...rankingCandidateOf(known), similarity: hit.score };
    const p: Payload = hit.payload ?? {};
    if (p.live !== true || typeof p.sellerId !== 'string') return null;
    return {
      key: undefined,
      streamId: hit.id,
      sellerId: p.sellerId,
      title: typeof p.title === 'string' ? p.title : '',
      category: typeof p.category === 'string' ? p.category : '',
      language: typeof p.language === 'string' ? p.language : '',
      startedAt: typeof p.startedAt === 'number' ? p.startedAt : 0,
      live: true,
      similarity: hit.score,
      metrics: undefined,
      liveFeatures: undefined,
      jsonHead: undefined,
    };
  }
}

/**
 * `first`'s candidates then `second`'s, with their keys and similarities; flags and live index of
 * `second` (both taken in the same synchronous step).
 */
export function concatCandidates(first: CandidateSet, second: CandidateSet): CandidateSet {
  const padding = first.candidates.length - first.similarities.length;
  return {
    ...second,
    candidates: [...first.candidates, ...second.candidates],
    keys: [...first.keys, ...second.keys],
    similarities: [...first.similarities, ...Array<number>(padding).fill(-Infinity), ...second.similarities],
  };
}

/**
 * Category, language and not one of the excluded sellers, inside the one query; undefined when
 * there is nothing to filter, so the index searches unfiltered. No `live` condition: both stores
 * hold only live streams (the writer deletes a stream's point when it ends, the replica applies
 * the tombstone), and a condition on every point would cost the HNSW search a JS callback per
 * visited node (~40% of a feed's CPU). `assemble` still marks
 * a hit that is not live (the metrics cache or the payload says so), and the ranker drops it.
 */
export function liveFilter(
  q: Pick<CandidateQuery, 'category' | 'language' | 'excludeSellerIds'>,
): Filter | undefined {
  const must: Condition[] = [];
  if (q.category !== undefined) must.push({ key: 'category', match: { value: q.category } });
  if (q.language !== undefined) must.push({ key: 'language', match: { value: q.language } });
  const filter: Filter = must.length > 0 ? { must } : {};
  if (q.excludeSellerIds.size > 0)
    return { ...filter, must_not: [{ key: 'sellerId', match: { any: [...q.excludeSellerIds] } }] };
  return must.length > 0 ? filter : undefined;
}

function matches(s: Pick<RankingCandidate, 'category' | 'language'>, q: CandidateQuery): boolean {
  return (
    (q.category === undefined || s.category === q.category) &&
    (q.language === undefined || s.language === q.language)
  );
}

function affinitySellers(user: UserSignals): Set<string> {
  const sellers = new Set<string>(user.follows);
  for (const sellerId of heaviest(user.sellerWeights, MAX_AFFINITY_SELLERS)) sellers.add(sellerId);
  for (const [sellerId, n] of user.sellerSessions)
    if (n > 1 && sellers.size < 2 * MAX_AFFINITY_SELLERS) sellers.add(sellerId);
  return sellers;
}

/**
 * The `n` heaviest keys, heaviest first, ties in map order (a stable sort). The user-state read
 * builds the map heaviest first already (ZREVRANGE), so that order is checked, not re-sorted.
 */
function heaviest(weights: ReadonlyMap<string, number>, n: number): Iterable<string> {
  let previous = Infinity;
  for (const w of weights.values()) {
    if (!(w <= previous)) {
      return [...weights]
        .sort((a, b) => b[1] - a[1])
        .slice(0, n)
        .map(([key]) => key);
    }
    previous = w;
  }
  return weights.size <= n ? weights.keys() : [...weights.keys()].slice(0, n);
}
