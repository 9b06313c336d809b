import { Injectable } from '@nestjs/common';
import { dedupe } from './candidate.dedupe';
import { IndexHeap } from './index.heap';
import { KeyedUserFeatures, SellerFeatures } from './keyed-user-features';
import { applyCaps } from './diversity.caps';
import {
  LIVE_ROW_STRIDE,
  NO_LIVE_FEATURES,
  ROW_CATEGORY_KEY,
  ROW_SELLER_KEY,
  ROW_STARTED_AT,
  liveFeaturesOf,
} from './live-features';
import {
  LiveIndex,
  RANKING_SIGNALS,
  RankedItem,
  RankingCandidate,
  RankingProfile,
  RankingSignal,
  ShownRecord,
  UserSignals,
} from './ranking.types';

/** Freshness decays with this time constant (e^-1) after a stream starts, ms. */
export const FRESHNESS_TAU_MS = 10 * 60_000;
/** An ignored impression stops counting against a stream with this time constant, ms. */
export const IGNORED_TAU_MS = 30 * 60_000;
/** A click forgives this many impressions. */
const IMPRESSIONS_PER_CLICK = 3;
/** Sessions with a seller at which the "keeps coming back" count saturates. */
const SESSIONS_SATURATION = 10;

export interface RankedPage {
  items: RankedItem[];
  /** Distinct live candidates ranked (more than `items.length`: there is a next page). */
  liveCount: number;
}

export interface RankRequest {
  candidates: readonly RankingCandidate[];
  /**
   * The similarity of candidates[i] for i < length (none past it; -Infinity is none too), read
   * instead of the candidates' own `similarity`: shared candidates need no copy per request.
   */
  similarities?: ArrayLike<number>;
  /**
   * With `live`: the key of candidates[i] (-1 or past the length: none), read instead of the
   * candidates' own `key`. A candidate with one is the live stream of `live` with that key (so it is
   * live, and its row has its numbers, seller and category): the ranker scores it without reading
   * the candidate object (a cache miss each), which it reads only for the page's items.
   */
  keys?: ArrayLike<number>;
  user: UserSignals;
  profile: RankingProfile;
  /** Epoch ms (freshness, impression decay). */
  now: number;
  limit: number;
  /**
   * The metrics cache's LiveIndex (LiveMetricsCache.liveIndex(), taken in the same synchronous step
   * as the candidates): a keyed candidate's metric features, startedAt, seller and category are
   * read from its row, and the user's features by key, instead of its objects and string lookups.
   * It must be what the candidates' own fields give (ranking.types.ts).
   */
  live?: LiveIndex;
}

/** What fillFeatures reads besides the candidate: the request's user-level values, computed once. */
interface FeatureContext {
  user: UserSignals;
  sellers: ReadonlyMap<string, SellerFeatures>;
  now: number;
  maxCategory: number;
  rows: Float64Array | undefined;
  /** The user's features by LiveIndex keys (loaded for this request), when `rows` are given. */
  keyed: KeyedUserFeatures;
}

/**
 * The feed ranker: pure and deterministic. Every signal is a feature in [0, 1] times its profile
 * weight; the score is their sum (shown-and-ignored subtracted); `reasons` lists each term. Then a
 * greedy pass in score order keeps at most `maxPerSeller` / `maxPerCategory` per page (an item
 * skipped by a cap is not lost: it can lead the next page). Non-live candidates never appear.
 */
@Injectable()
export class RankingService {
  rank(request: RankRequest): RankedItem[] {
    return this.rankPage(request).items;
  }

  /** `rank`, plus how many distinct live candidates there were (the feed pages on it). */
  rankPage(request: RankRequest): RankedPage {
    const { user, profile, now, live } = request;
    const sellers = sellerFeaturesOf(user, maxValue(user.sellerWeights));
    const maxCategory = maxValue(user.categoryWeights);
    const weights = signedWeights(profile);
    if (live !== undefined)
      KEYED.load(live, user, sellers, maxCategory, (shown) => ignoredPenalty(shown, now));
    const ctx: FeatureContext = { user, sellers, now, maxCategory, rows: live?.rows, keyed: KEYED };
    // hot path (~150 candidates a request): scores in a typed array, candidates ordered by index,
    // one scratch row of features; the reasons object is built only for the page's items
    const deduped = dedupe(request.candidates, request.similarities, request.keys, live);
    const { candidates, similarities, keys } = deduped;
    // the keyed candidates' rows copied next to each other first: a tight loop of independent
    // reads, so the CPU overlaps their cache misses instead of waiting on each in the scoring loop
    const rows = live === undefined ? undefined : gatherRows(live.rows, keys, candidates.length);
    const scores = scoreScratch(candidates.length);
    const order: number[] = [];
    const f = FEATURE_ROW;
    for (let c = 0; c < candidates.length; c++) {
      const key = keys[c];
      if (key >= 0) fillKeyed(f, rows!, c * LIVE_ROW_STRIDE, key, similarities[c], ctx, candidates[c]);
      else if (candidates[c].live) fillFeatures(f, candidates[c], similarities[c], ctx);
      else continue;
      let score = 0;
      for (let i = 0; i < SIGNAL_COUNT; i++) score += weights[i] * f[i];
      scores[c] = score;
      order.push(c);
    }
    // only the page's head of the order is needed: a heap yields it best first (score, then id)
    const idBefore = (a: number, b: number): boolean =>
      compareIds(candidates[a].streamId, candidates[b].streamId) < 0;
    const heap = new IndexHeap(order, scores, idBefore);
    const page = applyCaps(heap, deduped, rows, profile.caps, request.limit, live);
    // each item's contributions (weight x feature) side by side in one array of doubles (stored
    // unboxed): no reasons object per item unless one is read (RankedPageItem.reasons)
    const contributions = new Array<number>(page.length * SIGNAL_COUNT);
    const items = page.map((c, i) => {
      const candidate = candidates[c];
      if (keys[c] >= 0) fillKeyed(f, rows!, c * LIVE_ROW_STRIDE, keys[c], similarities[c], ctx, candidate);
      else fillFeatures(f, candidate, similarities[c], ctx);
      const o = i * SIGNAL_COUNT;
      // `|| 0` turns -0 (a zero penalty) into 0
      for (let s = 0; s < SIGNAL_COUNT; s++) contributions[o + s] = weights[s] * f[s] || 0;
      return new RankedPageItem(candidate, scores[c], contributions, o);
    });
    return { items, liveCount: order.length };
  }

  features(
    c: RankingCandidate,
    user: UserSignals,
    now: number,
    maxSeller = maxValue(user.sellerWeights),
    maxCategory = maxValue(user.categoryWeights),
  ): Record<RankingSignal, number> {
    const sellers = sellerFeaturesOf(user, maxSeller);
    const ctx: FeatureContext = { user, sellers, now, maxCategory, rows: undefined, keyed: KEYED };
    const f = fillFeatures(new Float64Array(SIGNAL_COUNT), c, c.similarity ?? -Infinity, ctx);
    const out = {} as Record<RankingSignal, number>;
    RANKING_SIGNALS.forEach((signal, i) => (out[signal] = f[i]));
    return out;
  }
}

const SIGNAL_COUNT = RANKING_SIGNALS.length;

// Scratch of rankPage, reused by every call: it runs synchronously to the end and nothing it
// returns keeps them. A typed array over 64 bytes has an off-heap buffer, whose allocation and
// later release cost more than the ranking of a small candidate set.
const FEATURE_ROW = new Float64Array(SIGNAL_COUNT);
const KEYED = new KeyedUserFeatures();
let scoreRow = new Float64Array(256);
let gatheredRows = new Float64Array(256 * LIVE_ROW_STRIDE);

/**
 * The rows of the keyed candidates (keys[c] >= 0) at c * LIVE_ROW_STRIDE of the shared scratch
 * (others' entries are stale). Every value is copied as it is: reading the copy is reading the row.
 */
function gatherRows(rows: Float64Array, keys: Int32Array, n: number): Float64Array {
  if (gatheredRows.length < n * LIVE_ROW_STRIDE)
    gatheredRows = new Float64Array(
      Math.max(n, 2 * (gatheredRows.length / LIVE_ROW_STRIDE)) * LIVE_ROW_STRIDE,
    );
  const out = gatheredRows;
  for (let c = 0; c < n; c++) {
    const key = keys[c];
    if (key < 0) continue;
    const o = key * LIVE_ROW_STRIDE;
    const g = c * LIVE_ROW_STRIDE;
    out[g] = rows[o];
    out[g + 1] = rows[o + 1];
    out[g + 2] = rows[o + 2];
    out[g + 3] = rows[o + 3];
    out[g + 4] = rows[o + 4];
    out[g + 5] = rows[o + 5];
    out[g + 6] = rows[o + 6];
    out[g + 7] = rows[o + 7];
  }
  return out;
}

/** The shared score row, at least `n` long (values from an earlier call: every used one is set). */
function scoreScratch(n: number): Float64Array {
  if (scoreRow.length < n) scoreRow = new Float64Array(Math.max(n, 2 * scoreRow.length));
  return scoreRow;
}

// gatherRows copies a row as eight values: fail at load if the row layout changes
if (LIVE_ROW_STRIDE !== 8)
  throw new Error('LIVE_ROW_STRIDE changed: update gatherRows in ranking.service.ts');

// fillFeatures writes by position: fail at load, not silently, if the signal list changes
if (
  RANKING_SIGNALS.join() !==
  'similarity,repeat,follow,category,viewers,velocity,bids,chats,gmv,freshness,shownIgnored'
)
  throw new Error('RANKING_SIGNALS changed: update fillFeatures and RankedPageItem in ranking.service.ts');

/**
 * Writes candidate `c`'s features, each in [0, 1], into `f` in RANKING_SIGNALS order (similarity,
 * repeat, follow, category, viewers, velocity, bids, chats, gmv, freshness, shownIgnored): the hot
 * loop of the ranker, so no object per candidate. `similarity`: -Infinity for none. A keyed
 * candidate with live rows reads its row and the keyed user features (typed arrays, no string
 * hashing); any other reads its own fields and the user's maps: the same values. Returns `f`.
 */
function fillFeatures(
  f: Float64Array,
  c: RankingCandidate,
  similarity: number,
  ctx: FeatureContext,
): Float64Array {
  const key = c.key;
  const rows = ctx.rows;
  if (rows !== undefined && key !== undefined)
    return fillKeyed(f, rows, key * LIVE_ROW_STRIDE, key, similarity, ctx, c);
  f[0] = clamp01(similarity);
  userFeatures(f, c, ctx);
  // metric features: precomputed per snapshot by the metrics cache, else from the metrics here
  const live = c.liveFeatures ?? (c.metrics ? liveFeaturesOf(c.metrics) : NO_LIVE_FEATURES);
  f[4] = live.viewers;
  f[5] = live.velocity;
  f[6] = live.bids;
  f[7] = live.chats;
  f[8] = live.gmv;
  f[9] = freshness(ctx.now, c.startedAt);
  return f;
}

/**
 * `fillFeatures` of the live stream with this key, from its row (at `o` in `rows`) and the keyed
 * user features: the candidate object `c` is read only if the row has no seller or category key.
 */
function fillKeyed(
  f: Float64Array,
  rows: Float64Array,
  o: number,
  key: number,
  similarity: number,
  ctx: FeatureContext,
  c: RankingCandidate,
): Float64Array {
  f[0] = clamp01(similarity);
  const sellerKey = rows[o + ROW_SELLER_KEY];
  const categoryKey = rows[o + ROW_CATEGORY_KEY];
  if (sellerKey >= 0 && categoryKey >= 0) {
    const keyed = ctx.keyed;
    f[1] = keyed.repeat(sellerKey);
    f[2] = keyed.follow(sellerKey);
    f[3] = ctx.maxCategory > 0 ? keyed.category(categoryKey) : 0;
    f[10] = keyed.penalty(key);
  } else {
    userFeatures(f, c, ctx);
  }
  f[4] = rows[o];
  f[5] = rows[o + 1];
  f[6] = rows[o + 2];
  f[7] = rows[o + 3];
  f[8] = rows[o + 4];
  f[9] = freshness(ctx.now, rows[o + ROW_STARTED_AT]);
  return f;
}

/** Repeat, follow, category and shownIgnored of `c` through the user's maps (by strings). */
function userFeatures(f: Float64Array, c: RankingCandidate, ctx: FeatureContext): void {
  // a seller the user never engaged with: repeat and follow are 0 (no lookups, no log1p)
  const seller = ctx.sellers.get(c.sellerId);
  f[1] = seller === undefined ? 0 : seller.repeat;
  f[2] = seller === undefined ? 0 : seller.follow;
  const maxCategory = ctx.maxCategory;
  f[3] = maxCategory > 0 ? (ctx.user.categoryWeights.get(c.category) ?? 0) / maxCategory : 0;
  f[10] = ignoredPenalty(ctx.user.shown.get(c.streamId), ctx.now);
}

const freshness = (now: number, startedAt: number): number =>
  Math.exp(-Math.max(0, now - startedAt) / FRESHNESS_TAU_MS);

/**
 * An item of a ranked page. Its contributions sit in the page's array (RANKING_SIGNALS order);
 * `reasons` builds the object when read (the feed's JSON writer reads `contribution` instead).
 */
export class RankedPageItem implements RankedItem {
  constructor(
    readonly candidate: RankingCandidate,
    readonly score: number,
    private readonly contributions: readonly number[],
    private readonly offset: number,
  ) {}

  /** The contribution of RANKING_SIGNALS[signal] (weight x feature; -0 written as 0). */
  contribution(signal: number): number {
    return this.contributions[this.offset + signal];
  }

  /** Each signal's contribution as one object literal in RANKING_SIGNALS order (checked at load). */
  get reasons(): Record<RankingSignal, number> {
    const c = this.contributions;
    const o = this.offset;
    return {
      similarity: c[o],
      repeat: c[o + 1],
      follow: c[o + 2],
      category: c[o + 3],
      viewers: c[o + 4],
      velocity: c[o + 5],
      bids: c[o + 6],
      chats: c[o + 7],
      gmv: c[o + 8],
      freshness: c[o + 9],
      shownIgnored: c[o + 10],
    };
  }
}

const LOG1P_SATURATION = Math.log1p(SESSIONS_SATURATION);

/**
 * Repeat and follow of every seller the user has any of (weight, sessions, follow), computed once
 * per request instead of per candidate; any other seller has 0 and 0 (what the same formulas give
 * it: no weight, log1p(0) sessions, not followed).
 */
function sellerFeaturesOf(user: UserSignals, maxSeller: number): Map<string, SellerFeatures> {
  const out = new Map<string, SellerFeatures>();
  const add = (sellerId: string): void => {
    if (out.has(sellerId)) return;
    const sellerWeight = maxSeller > 0 ? (user.sellerWeights.get(sellerId) ?? 0) / maxSeller : 0;
    const sessions = user.sellerSessions.get(sellerId) ?? 0;
    const comesBack = Math.min(1, Math.log1p(sessions) / LOG1P_SATURATION);
    out.set(sellerId, {
      repeat: 0.5 * sellerWeight + 0.5 * comesBack,
      follow: user.follows.has(sellerId) ? 1 : 0,
    });
  };
  for (const sellerId of user.sellerWeights.keys()) add(sellerId);
  for (const sellerId of user.sellerSessions.keys()) add(sellerId);
  for (const sellerId of user.follows) add(sellerId);
  return out;
}

function ignoredPenalty(shown: ShownRecord | undefined, now: number): number {
  if (!shown) return 0;
  const ignored = shown.impressions - IMPRESSIONS_PER_CLICK * shown.clicks;
  if (ignored <= 0) return 0;
  return (1 - Math.exp(-ignored / 2)) * Math.exp(-Math.max(0, now - shown.lastShownAt) / IGNORED_TAU_MS);
}

const weightsByProfile = new WeakMap<RankingProfile, Float64Array>();

/** The profile's weights in RANKING_SIGNALS order, shownIgnored negated (computed once per profile). */
function signedWeights(profile: RankingProfile): Float64Array {
  let weights = weightsByProfile.get(profile);
  if (!weights) {
    weights = Float64Array.from(RANKING_SIGNALS, (signal) =>
      signal === 'shownIgnored' ? -profile.weights[signal] : profile.weights[signal],
    );
    weightsByProfile.set(profile, weights);
  }
  return weights;
}

function maxValue(map: ReadonlyMap<string, number>): number {
  let max = 0;
  for (const v of map.values()) if (v > max) max = v;
  return max;
}

const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);
const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
