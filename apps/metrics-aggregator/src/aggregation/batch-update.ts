/**
 * What one consumed batch changes, folded per key by BatchFoldService and applied atomically (with
 * the partition offset) by an AggregateStateRepository (the Redis one encodes it with
 * state/wire-format.ts for its script). Times are event times, epoch ms.
 */

/** A lifecycle step of a stream, in the batch's offset order. */
export type LifecycleOp =
  | {
      op: 'start';
      t: number;
      sellerId: string;
      title: string;
      category: string;
      language: string;
    }
  | { op: 'update'; t: number; title?: string; category?: string; language?: string }
  | { op: 'end'; t: number; reason: 'ended' | 'removed' }
  /** actBefore: the stream's latest activity in this batch before the expiry (0 if none). */
  | { op: 'expire'; t: number; eventId: string; actBefore: number };

export interface StreamDelta {
  id: string;
  life: LifecycleOp[];
  /** Latest heartbeat (0 = none in this batch). */
  hb: number;
  /** Latest activity that renews the lease (heartbeat, lifecycle, engagement), 0 = none. */
  act: number;
  /** Latest event time of the batch for this stream (late events included). */
  last: number;
  /** Decay reference: latest non-late event time (0 = only late events: windows untouched). */
  T: number;
  /** Pre-decayed sums at T, metric-major 9 x 3 (decay.ts RATE_SLOTS); unique ones come from Lua. */
  rates: number[];
  /** Exact lifetime counts of this batch (late events included). */
  chats: number;
  bids: number;
  purchases: number;
  giveaways: number;
  /** GMV of this batch per currency, integer ten-thousandths. */
  gmv: Record<string, number>;
  /** Viewer presence per user: [userId, latest activity (0 none), latest view.ended (0 none)]. */
  presence: [string, number, number][];
  /** First view.started per user in this batch: [userId, t, late 0/1]. */
  viewers: [string, number, number][];
  /** First bid per user in this batch: [userId, t, late 0/1]. */
  bidders: [string, number, number][];
  /**
   * Views in offset order: [userId, 1 start / 0 end, t, sellerId | '', category | ''] (from the
   * event's enrichment). Kept per stream: a view's start and end share the stream's partition.
   */
  watch: [string, number, number, string, string][];
}

/**
 * Absent fields: nothing of that kind in this batch. Maps, not object literals: thousands of
 * distinct ids as property names made V8 build a hidden class per id (megamorphic stores).
 */
export interface UserDelta {
  id: string;
  /** Forward-decayed affinity increments (see decay.ts forwardDecayed). */
  sellers?: Map<string, number>;
  categories?: Map<string, number>;
  /** Latest engagement time per stream. */
  recent?: Map<string, number>;
  /** Exact per-seller counters: [chats, bids, purchases]. */
  sellerCounts?: Map<string, [number, number, number]>;
  /** Recommendation feedback per stream: [impressions, clicks, latest time]. */
  shown?: Map<string, [number, number, number]>;
  /** Final follow state per seller in this batch: [sellerId, 1 follow / 0 unfollow, t]. */
  follows?: [string, number, number][];
  /** user.erased seen in this batch: earlier deltas were dropped, erase before applying the rest. */
  erase?: boolean;
}

export interface BatchUpdate {
  topic: string;
  partition: number;
  /** Offset of the batch's last message (decimal string). */
  lastOffset: string;
  /** The stored offset the fold assumed ('' = none stored): the apply refuses on mismatch. */
  expectOffset: string;
  /** Partition's max event time after this batch (running max in offset order). */
  maxEventTime: number;
  streams: StreamDelta[];
  users: UserDelta[];
  /** Events counted in lifetime totals but too late for the windows. */
  lateEvents: number;
}

/** The partition's progress as stored atomically with the state. */
export interface PartitionProgress {
  /** Last applied offset, null before the first batch. */
  offset: string | null;
  maxEventTime: number;
}

export type ApplyOutcome =
  | { status: 'applied'; erasedFollows: [string, string][] }
  /** Already applied (redelivery): nothing changed. */
  | { status: 'duplicate' }
  /** Another writer moved the offset since it was read: re-read progress and fold again. */
  | { status: 'conflict'; progress: PartitionProgress };
