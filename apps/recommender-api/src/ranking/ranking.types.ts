/** The signals a feed score is made of; each item's `reasons` holds each one's contribution. */
export const RANKING_SIGNALS = [
  'similarity',
  'repeat',
  'follow',
  'category',
  'viewers',
  'velocity',
  'bids',
  'chats',
  'gmv',
  'freshness',
  'shownIgnored',
] as const;
export type RankingSignal = (typeof RANKING_SIGNALS)[number];

/** Weight per signal; `shownIgnored` is subtracted (a positive weight sinks ignored streams). */
export type RankingWeights = Readonly<Record<RankingSignal, number>>;

/** Live metrics of a candidate (from the metrics change feed); rates per minute over ~1-5 min. */
export interface LiveSignals {
  viewers: number;
  /** Change of viewers per minute (negative when shrinking). */
  viewerVelocity: number;
  bidsPerMin: number;
  chatsPerMin: number;
  /** Major currency units per minute (a signal, not money). */
  gmvPerMin: number;
}

/**
 * A live stream's metric features, each in [0, 1]: functions of its LiveSignals alone, so the
 * metrics cache computes them once per snapshot (live-features.ts) instead of per request.
 */
export interface LiveFeatures {
  readonly viewers: number;
  readonly velocity: number;
  readonly bids: number;
  readonly chats: number;
  readonly gmv: number;
}

export interface RankingCandidate {
  /**
   * A small non-negative integer naming the stream (the metrics cache's slot of a live stream),
   * or undefined; within one request a stream has one key. When every candidate has one, the
   * ranker dedupes by it (an array index) instead of hashing ids; a key seen with two streamIds
   * is tolerated (the ranker falls back to ids).
   */
  key?: number;
  streamId: string;
  sellerId: string;
  title: string;
  category: string;
  language: string;
  /** Epoch ms. */
  startedAt: number;
  /** Only live candidates are ever ranked; an ended stream is dropped whatever its score. */
  live: boolean;
  /** Cosine(user vector, stream vector) when the vector search found it, else undefined. */
  similarity?: number;
  metrics?: LiveSignals;
  /** `liveFeaturesOf(metrics)` computed ahead (the metrics cache does); else computed when ranked. */
  liveFeatures?: LiveFeatures;
  /**
   * The start of this stream's feed item JSON as UTF-8, `{"streamId":…,"sellerId":…,"title":…,
   * "category":…,"score":` (feed-response.json.ts `itemJsonHead`), built once by the metrics cache
   * when the stream's metadata changes instead of per request and item; undefined: the feed encodes
   * it itself. Not read by ranking.
   */
  jsonHead?: Uint8Array;
}

/**
 * The metrics cache's live streams as small integer keys, for one request (valid until the cache's
 * next change: take it with the candidates, in the same synchronous step). A keyed candidate's
 * numbers, seller and category are read from its row, and the ranker looks up and counts by these
 * keys (typed arrays) instead of hashing strings per candidate. For every keyed candidate `c`:
 * `streamKey(c.streamId) === c.key`, and its row (live-features.ts) is what its fields give.
 */
export interface LiveIndex {
  /** LIVE_ROW_STRIDE float64s per stream key (live-features.ts). */
  readonly rows: Float64Array;
  /** The key of a live stream, -1 when it is not live. */
  streamKey(streamId: string): number;
  /** The key of a seller with a live stream (the seller key of its streams' rows), else -1. */
  sellerKey(sellerId: string): number;
  /** The key of a category of a live stream (the category key of its streams' rows), else -1. */
  categoryKey(category: string): number;
}

export interface ShownRecord {
  impressions: number;
  clicks: number;
  /** Epoch ms of the last impression. */
  lastShownAt: number;
}

/** What the ranker knows of the user (all optional: a new user has none of it). */
export interface UserSignals {
  /** Decayed engagement per seller (any positive scale: the ranker divides by the max). */
  sellerWeights: ReadonlyMap<string, number>;
  /** Sessions per seller (the "keeps coming back" count). */
  sellerSessions: ReadonlyMap<string, number>;
  follows: ReadonlySet<string>;
  /** Decayed engagement per category (any positive scale). */
  categoryWeights: ReadonlyMap<string, number>;
  shown: ReadonlyMap<string, ShownRecord>;
}

export const EMPTY_USER_SIGNALS: UserSignals = {
  sellerWeights: new Map(),
  sellerSessions: new Map(),
  follows: new Set(),
  categoryWeights: new Map(),
  shown: new Map(),
};

export interface DiversityCaps {
  /** At most this many items of one seller per page. */
  maxPerSeller: number;
  /** At most this many items of one category per page. */
  maxPerCategory: number;
}

export interface RankingProfile {
  name: string;
  weights: RankingWeights;
  caps: DiversityCaps;
}

export interface RankedItem {
  candidate: RankingCandidate;
  score: number;
  reasons: Record<RankingSignal, number>;
}
