import { Injectable } from '@nestjs/common';
import { dedupe } from './candidate.dedupe';
import { IndexHeap } from './index.heap';
import { LIVE_ROW_STRIDE, NO_LIVE_FEATURES, liveFeaturesOf } from './live-features';
import {
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
  user: UserSignals;
  profile: RankingProfile;
  /** Epoch ms (freshness, impression decay). */
  now: number;
  limit: number;
  /**
   * Live rows by candidate key (live-features.ts: LiveMetricsCache.liveRows(), taken in the same
   * synchronous step as the candidates): a keyed candidate's metric features and startedAt are read
   * from its row instead of its objects. They must be what the candidate's own fields give.
   */
  liveRows?: Float64Array;
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
    const { user, profile, now, liveRows } = request;
    const sellers = sellerFeaturesOf(user, maxValue(user.sellerWeights));
    const maxCategory = maxValue(user.categoryWeights);
    const weights = signedWeights(profile);
    // hot path (~150 candidates a request): scores in a typed array, candidates ordered by index,
    // one scratch row of features; the reasons object is built only for the page's items
    const candidates = dedupe(request.candidates);
    const scores = scoreScratch(candidates.length);
    const order: number[] = [];
    const f = FEATURE_ROW;
    for (let c = 0; c < candidates.length; c++) {
      if (!candidates[c].live) continue;
      fillFeatures(f, candidates[c], user, sellers, now, maxCategory, liveRows);
      let score = 0;
      for (let i = 0; i < SIGNAL_COUNT; i++) score += weights[i] * f[i];
      scores[c] = score;
      order.push(c);
    }
    // only the page's head of the order is needed: a heap yields it best first (score, then id)
    const before = (a: number, b: number): boolean => {
      const d = scores[b] - scores[a] || compareIds(candidates[a].streamId, candidates[b].streamId);
      return d < 0;
    };
    const page = applyCaps(new IndexHeap(order, before), candidates, profile.caps, request.limit);
    const items = page.map((c) => {
      const candidate = candidates[c];
      fillFeatures(f, candidate, user, sellers, now, maxCategory, liveRows);
      return { candidate, score: scores[c], reasons: reasonsOf(weights, f) };
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
    const f = fillFeatures(new Float64Array(SIGNAL_COUNT), c, user, sellers, now, maxCategory);
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
let scoreRow = new Float64Array(256);

/** The shared score row, at least `n` long (values from an earlier call: every used one is set). */
function scoreScratch(n: number): Float64Array {
  if (scoreRow.length < n) scoreRow = new Float64Array(Math.max(n, 2 * scoreRow.length));
  return scoreRow;
}

// fillFeatures writes by position: fail at load, not silently, if the signal list changes
if (
  RANKING_SIGNALS.join() !==
  'similarity,repeat,follow,category,viewers,velocity,bids,chats,gmv,freshness,shownIgnored'
)
  throw new Error('RANKING_SIGNALS changed: update fillFeatures and reasonsOf in ranking.service.ts');

/**
 * Writes candidate `c`'s features, each in [0, 1], into `f` in RANKING_SIGNALS order (similarity,
 * repeat, follow, category, viewers, velocity, bids, chats, gmv, freshness, shownIgnored): the hot
 * loop of the ranker, so no object per candidate. Returns `f`.
 */
function fillFeatures(
  f: Float64Array,
  c: RankingCandidate,
  user: UserSignals,
  sellers: ReadonlyMap<string, SellerFeatures>,
  now: number,
  maxCategory: number,
  rows?: Float64Array,
): Float64Array {
  // a seller the user never engaged with: repeat and follow are 0 (no lookups, no log1p)
  const seller = sellers.get(c.sellerId);
  f[0] = clamp01(c.similarity ?? 0);
  f[1] = seller === undefined ? 0 : seller.repeat;
  f[2] = seller === undefined ? 0 : seller.follow;
  f[3] = maxCategory > 0 ? (user.categoryWeights.get(c.category) ?? 0) / maxCategory : 0;
  let startedAt: number;
  const key = c.key;
  if (rows !== undefined && key !== undefined) {
    // the metrics cache's row of this stream: one contiguous read
    const o = key * LIVE_ROW_STRIDE;
    f[4] = rows[o];
    f[5] = rows[o + 1];
    f[6] = rows[o + 2];
    f[7] = rows[o + 3];
    f[8] = rows[o + 4];
    startedAt = rows[o + 5];
  } else {
    // metric features: precomputed per snapshot by the metrics cache, else from the metrics here
    const live = c.liveFeatures ?? (c.metrics ? liveFeaturesOf(c.metrics) : NO_LIVE_FEATURES);
    f[4] = live.viewers;
    f[5] = live.velocity;
    f[6] = live.bids;
    f[7] = live.chats;
    f[8] = live.gmv;
    startedAt = c.startedAt;
  }
  f[9] = Math.exp(-Math.max(0, now - startedAt) / FRESHNESS_TAU_MS);
  f[10] = ignoredPenalty(user.shown.get(c.streamId), now);
  return f;
}

/**
 * Each signal's contribution (weight x feature) as one object literal in RANKING_SIGNALS order
 * (checked at load above): one hidden class for every item, no keyed store per signal. `|| 0`
 * turns -0 (a zero penalty) into 0.
 */
function reasonsOf(w: Float64Array, f: Float64Array): Record<RankingSignal, number> {
  return {
    similarity: w[0] * f[0] || 0,
    repeat: w[1] * f[1] || 0,
    follow: w[2] * f[2] || 0,
    category: w[3] * f[3] || 0,
    viewers: w[4] * f[4] || 0,
    velocity: w[5] * f[5] || 0,
    bids: w[6] * f[6] || 0,
    chats: w[7] * f[7] || 0,
    gmv: w[8] * f[8] || 0,
    freshness: w[9] * f[9] || 0,
    shownIgnored: w[10] * f[10] || 0,
  };
}

const LOG1P_SATURATION = Math.log1p(SESSIONS_SATURATION);

/** The seller features of one user (repeat, follow), each in [0, 1]. */
interface SellerFeatures {
  repeat: number;
  follow: number;
}

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

/** Greedy in score order: at most maxPerSeller / maxPerCategory items per page. */
function applyCaps(
  order: IndexHeap,
  candidates: readonly RankingCandidate[],
  caps: RankingProfile['caps'],
  limit: number,
): number[] {
  const out: number[] = [];
  const perSeller = new Map<string, number>();
  const perCategory = new Map<string, number>();
  while (out.length < limit && order.size > 0) {
    const c = order.pop();
    const { sellerId, category } = candidates[c];
    const s = perSeller.get(sellerId) ?? 0;
    const k = perCategory.get(category) ?? 0;
    if (s >= caps.maxPerSeller || k >= caps.maxPerCategory) continue;
    perSeller.set(sellerId, s + 1);
    perCategory.set(category, k + 1);
    out.push(c);
  }
  return out;
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
