import { DEFAULT_USER_IDLE_TTL_SEC } from '@app/config';
/**
 * Everything the aggregator's features need from config, as one typed object (the root module
 * maps environment variables onto it). Times are epoch/duration milliseconds unless named *Sec.
 */
export interface ScoreWeights {
  /** Per current viewer. */
  viewers: number;
  /** Per event/minute of the 5-minute decayed rates. */
  chats: number;
  bids: number;
  uniqueBidders: number;
  purchases: number;
  /** Per major unit/minute of GMV (all currencies summed as-is). */
  gmv: number;
  giveaways: number;
  newViewers: number;
  /** Per viewer/minute of viewer velocity (joins - leaves, 1-minute rates). */
  velocity: number;
}

/** Weights of one engagement of a user, added to the per-user decayed affinities. */
export interface EngagementWeights {
  view: number;
  chat: number;
  bid: number;
  purchase: number;
  giveaway: number;
  click: number;
  /** Per minute watched (view.started -> view.ended, capped at watchCapMs). */
  watchPerMinute: number;
}

export interface AggregatorSettings {
  /** A viewer silent for longer than this counts as gone (event time), ms. */
  viewerLeaseMs: number;
  /** A live stream with no heartbeat or engagement for this long (wall clock) is expired, ms. */
  streamLeaseMs: number;
  /** Events older than the partition's max event time minus this are late: lifetime only, ms. */
  latenessMs: number;
  /** Least time between two change-feed records of one stream, ms. */
  coalesceMs: number;
  /** Sweeper period, ms. */
  sweepIntervalMs: number;
  /** Per-user bounds (entries kept). */
  userRecentMax: number;
  userSellersMax: number;
  userCategoriesMax: number;
  userShownMax: number;
  /** Half-life of the per-user affinities (forward decay), ms. */
  userHalfLifeMs: number;
  /** Reference time of the forward-decayed user scores, epoch ms (see docs/key-layout.md). */
  userDecayEpochMs: number;
  /** Longest single view counted as watch time, ms. */
  watchCapMs: number;
  /** Keys of an ended stream expire this long after its end, seconds. */
  endedTtlSec: number;
  /** A user's engagement keys (all but follows) are deleted once the user is idle this long, seconds; 0 = never. */
  userTtlSec: number;
  scoreWeights: ScoreWeights;
  engagementWeights: EngagementWeights;
}

export const AGGREGATOR_SETTINGS = Symbol('AGGREGATOR_SETTINGS');

/**
 * Bytes per partition per fetch of the enriched topic. Larger than the transport's 1 MiB default:
 * under a backlog a batch of ~20,000 events shares more users and streams, so the script makes
 * fewer Redis calls per event (measured: 7.8 calls/event at 1,000-event batches, 6.2 at 4,000;
 * after the MessagePack input, 2.9 at 4 MiB and 2.2 at 8 MiB per partition: 28k -> 36k events/s);
 * when caught up, batches stay as small as what arrived (latency unchanged).
 * The price: one script then runs ~0.3 s under a backlog, and Redis answers nobody meanwhile.
 */
export const ENRICHED_FETCH_BYTES_PER_PARTITION = 8 * 1024 * 1024;

/**
 * Bytes per fetch of the enriched topic, all partitions (kafkajs default 10 MiB = under a backlog
 * only ~1 of the 8 MiB partition batches per fetch). kafkajs fetches again only after every batch
 * of a fetch is handled, so more batches per fetch keep Redis busy (batch N's script runs while
 * batch N+1 is folded) for a larger share of the time between two fetches.
 */
export const ENRICHED_FETCH_MAX_BYTES = 48 * 1024 * 1024;

/** Decay time constants of the 1/5/15-minute windows: tau = window length (mean lifetime), ms. */
export const WINDOW_TAUS_MS = [60_000, 300_000, 900_000] as const;

export const DEFAULT_SCORE_WEIGHTS: ScoreWeights = {
  viewers: 1,
  chats: 0.5,
  bids: 2,
  uniqueBidders: 3,
  purchases: 10,
  gmv: 0.05,
  giveaways: 0.5,
  newViewers: 1,
  velocity: 0.5,
};

export const DEFAULT_ENGAGEMENT_WEIGHTS: EngagementWeights = {
  view: 1,
  chat: 0.5,
  bid: 2,
  purchase: 5,
  giveaway: 0.5,
  click: 1,
  watchPerMinute: 0.2,
};

export const DEFAULT_AGGREGATOR_SETTINGS: AggregatorSettings = {
  viewerLeaseMs: 120_000,
  streamLeaseMs: 60_000,
  latenessMs: 60_000,
  coalesceMs: 250,
  sweepIntervalMs: 5_000,
  userRecentMax: 100,
  userSellersMax: 100,
  userCategoriesMax: 50,
  userShownMax: 200,
  userHalfLifeMs: 7 * 24 * 3_600_000,
  userDecayEpochMs: Date.UTC(2026, 0, 1),
  watchCapMs: 4 * 3_600_000,
  endedTtlSec: 7 * 24 * 3_600,
  // past four half-lives of idleness the affinities weigh ~5 % against a day's new engagement
  userTtlSec: DEFAULT_USER_IDLE_TTL_SEC,
  scoreWeights: DEFAULT_SCORE_WEIGHTS,
  engagementWeights: DEFAULT_ENGAGEMENT_WEIGHTS,
};

/**
 * Partitions of one fetch handled at the same time. Each partition's batch is still applied
 * atomically with its own offsets; overlapping them keeps Node folding one batch while Redis runs
 * another's script (bench/aggregator.bench.ts, idle 2-core machine: with 4 MiB per partition
 * 2 -> 28.4k, 3 -> 29.2k, 6 -> 34.7k events/s; with 8 MiB 2 -> 36.2k, 6 -> 39.3k), without making any single script (and Redis' pause for it) longer.
 */
export const ENRICHED_PARTITIONS_CONSUMED_CONCURRENTLY = 6;
