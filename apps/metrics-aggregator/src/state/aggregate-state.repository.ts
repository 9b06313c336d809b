import { AggregatorSettings, WINDOW_TAUS_MS } from '../aggregation/aggregator.settings';
import { ApplyOutcome, BatchUpdate, PartitionProgress, UserDelta } from '../aggregation/batch-update';

/** One stream's stored state (docs/key-layout.md `agg:s:<streamId>`). Times epoch ms. */
export interface StreamState {
  id: string;
  live: boolean;
  sellerId: string | null;
  title: string | null;
  category: string | null;
  language: string | null;
  startedAt: number | null;
  endedAt: number | null;
  endReason: 'ended' | 'removed' | 'expired' | null;
  lastHeartbeatAt: number;
  lastActivityAt: number;
  lastEventAt: number;
  viewers: number;
  peakViewers: number;
  uniqueViewers: number;
  chats: number;
  bids: number;
  purchases: number;
  giveaways: number;
  /** Integer ten-thousandths per currency. */
  gmv: Record<string, number>;
  /** Time the decayed sums are kept at (0 = none yet). */
  rt: number;
  /** Decayed sums, metric-major 9 x 3 (decay.ts). */
  rates: number[];
  velocity: number;
  score: number;
  partition: number | null;
}

export interface UserState {
  /** Members by score, highest first: [member, score]. */
  sellers: [string, number][];
  categories: [string, number][];
  /** Most recent first: [streamId, last engagement ms]. */
  recent: [string, number][];
  sellerCounts: Record<string, number>;
  shown: [string, number][];
  shownCounts: Record<string, number>;
  follows: string[];
}

export interface SellerState {
  live: boolean;
  streamId: string | null;
  followers: string[];
}

export interface LeaseHolder {
  streamId: string;
  lastActivityAt: number;
}

/** Published per input partition after the change feed was flushed (docs/key-layout.md). */
export interface Watermark {
  topic: string;
  partition: number;
  /** Event time up to which the partition is applied and flushed, epoch ms. */
  eventTime: number;
  /** Wall clock of the publication, epoch ms (idle partitions: see the key-layout doc). */
  updatedAt: number;
}

/**
 * A stream whose change-feed record may not be out yet (docs/key-layout.md `pending:`): `offset`
 * is the (last) batch of its partition that touched it, exact below 2^53.
 */
export interface PendingStream {
  partition: number;
  streamId: string;
  offset: number;
}

/**
 * The aggregator's state. `applyBatch` is atomic with the partition offset: a batch whose last
 * offset is not above the stored one changes nothing; a fold made against an outdated offset is
 * refused (conflict) so the caller re-reads and folds again.
 */
export interface AggregateStateRepository {
  readProgress(topic: string, partition: number): Promise<PartitionProgress>;
  applyBatch(update: BatchUpdate): Promise<ApplyOutcome>;
  readStreams(ids: string[]): Promise<(StreamState | null)[]>;
  readLive(): Promise<string[]>;
  readUser(userId: string): Promise<UserState>;
  readSeller(sellerId: string): Promise<SellerState>;
  /** Live streams of the partition whose last activity is at or before `before`. */
  leaseHolders(topic: string, partition: number, before: number, limit: number): Promise<LeaseHolder[]>;
  writeWatermarks(watermarks: Watermark[]): Promise<void>;
  /**
   * The streams of the partition whose change-feed records were not acked yet (applyBatch adds
   * every stream of a batch): republished when the partition is (re)assigned.
   */
  readPending(topic: string, partition: number): Promise<PendingStream[]>;
  /**
   * Their records are acked: removes each stream from its partition's pending set unless a batch
   * after `offset` touched it again (then its newer record is still to come).
   */
  ackPending(topic: string, acked: PendingStream[]): Promise<void>;
  readWatermarks(): Promise<Watermark[]>;
  /**
   * Deletes the engagement keys (USER_ENGAGEMENT_SUFFIXES; not follows) of up to `limit` users
   * whose last batch was at or before `cutoff` (event time, epoch ms); returns how many.
   */
  sweepIdleUsers(cutoff: number, limit: number): Promise<number>;
  /** Deletes every key of this state (rebuild). */
  deleteAll(): Promise<number>;
}

export const AGGREGATE_STATE_REPOSITORY = Symbol('AGGREGATE_STATE_REPOSITORY');

/**
 * users:seen holds the end of the hour of a user's last batch: within an hour a user's score
 * stays the same, and ZADD GT of an unchanged score is a lookup, not a skiplist move (the TTL is
 * days; a user is swept up to an hour late, never early).
 */
export const USER_SEEN_RESOLUTION_MS = 3_600_000;

/** Whether the apply script records this user's delta in users:seen (it writes engagement keys). */
export function writesEngagement(d: UserDelta): boolean {
  return (
    (d.recent?.size ?? 0) +
      (d.sellers?.size ?? 0) +
      (d.categories?.size ?? 0) +
      (d.sellerCounts?.size ?? 0) +
      (d.shown?.size ?? 0) >
    0
  );
}

/** The hour score a batch records its users at (its maxEventTime rounded up to the hour). */
export function seenHourOf(maxEventTime: number): number {
  return Math.ceil(maxEventTime / USER_SEEN_RESOLUTION_MS) * USER_SEEN_RESOLUTION_MS;
}

/** A user's keys (`u:<userId>:<suffix>`) that go when the user is idle; follows stay. */
export const USER_ENGAGEMENT_SUFFIXES = [
  'recent',
  'sellers',
  'categories',
  'seller-counts',
  'shown',
  'shown-counts',
] as const;

/** What the apply logic needs from the settings (also the Lua script's ARGV[3]). */
export interface ApplySettings {
  viewerLeaseMs: number;
  endedTtlSec: number;
  userTtlSec: number;
  userRecentMax: number;
  userSellersMax: number;
  userCategoriesMax: number;
  userShownMax: number;
  watchCapMs: number;
  watchWeight: number;
  epochMs: number;
  userHalfLifeMs: number;
  taus: number[];
  weights: AggregatorSettings['scoreWeights'];
}

export function applySettingsOf(settings: AggregatorSettings): ApplySettings {
  return {
    viewerLeaseMs: settings.viewerLeaseMs,
    endedTtlSec: settings.endedTtlSec,
    userTtlSec: settings.userTtlSec,
    userRecentMax: settings.userRecentMax,
    userSellersMax: settings.userSellersMax,
    userCategoriesMax: settings.userCategoriesMax,
    userShownMax: settings.userShownMax,
    watchCapMs: settings.watchCapMs,
    watchWeight: settings.engagementWeights.watchPerMinute,
    epochMs: settings.userDecayEpochMs,
    userHalfLifeMs: settings.userHalfLifeMs,
    taus: [...WINDOW_TAUS_MS],
    weights: settings.scoreWeights,
  };
}
