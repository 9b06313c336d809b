import { OutboundMessage } from '@app/kafka';
import { encodeUserVectorRecord, float32Bytes } from '@app/vector-store';
import { PagedSlab } from '../user-slots/paged-slab';
import { SlotPool } from '../user-slots/slot-pool';

/** The records being sent: those pending when the round began, spread evenly over one interval. */
interface Round {
  startedAt: number;
  size: number;
  sent: number;
}

/**
 * The compacted user topic's pending records, coalesced per user (Redis keeps the per-flush
 * cadence: the recommender reads user vectors there, nobody latency-sensitive reads the topic). The
 * topic keeps only the last record per key, so sending each user's latest vector about once per
 * interval leaves every reader with what it would have had. Erasures never wait here: the publisher
 * sends their tombstones with the flush that drained them (and drops any pending record).
 *
 * Sending is paced: once per `intervalMs` a round takes the records then pending (oldest first) and
 * sends them evenly over the next interval, a share per flush, instead of as fast as the flushes
 * come (before: a burst of several seconds at up to ~20,000 records/s every minute, for the writer and the
 * broker). A record waits one to two intervals, so more of a user's updates coalesce.
 */
export class UserTopicBuffer {
  /**
   * Pending user id -> slot of its record. The records are copies in slabs (the model's vectors are
   * views of slots that go to other users once their user is dropped): no object per pending user,
   * who may wait two intervals, long enough to reach the old generation.
   */
  private readonly pending = new Map<string, number>();
  private readonly slots = new SlotPool();
  /** Per slot: the vector to send (made at the first `set`, as wide as its vectors). */
  private vectors: PagedSlab<Float32Array> | null = null;
  /** Per slot: eventTime of the flush that last published the user to Redis, epoch ms. */
  private readonly eventTimes = new PagedSlab((n) => new Float64Array(n), 1);
  private round: Round | null = null;
  /** No round begins before this, epoch ms. */
  private nextRoundAt: number;

  /**
   * `intervalMs` 0 = every flush sends what is pending (the old cadence). `maxPerFlush` bounds the
   * records encoded and sent by one flush (~10 us each on the event loop) when a round falls behind
   * its pace (a failed send, a stalled flush).
   */
  constructor(
    readonly intervalMs: number,
    private readonly maxPerFlush = Number.POSITIVE_INFINITY,
    now = Date.now(),
  ) {
    this.nextRoundAt = now + intervalMs;
  }

  get size(): number {
    return this.pending.size;
  }

  /** The user's latest published vector (copied), replacing any pending one. */
  set(userId: string, vector: Float32Array, eventTime: number): void {
    const vectors = (this.vectors ??= new PagedSlab((n) => new Float32Array(n), vector.length));
    if (vector.length !== vectors.width)
      throw new Error(`user ${userId}: vector has ${vector.length} dimensions, expected ${vectors.width}`);
    let slot = this.pending.get(userId);
    if (slot === undefined) {
      slot = this.slots.acquire();
      this.pending.set(userId, slot);
    }
    vectors.page(slot).set(vector, vectors.offset(slot));
    this.eventTimes.set(slot, eventTime);
  }

  delete(userId: string): void {
    const slot = this.pending.get(userId);
    if (slot === undefined) return;
    this.pending.delete(userId);
    this.slots.release(slot);
  }

  /** Whether a flush now would send records (all of them when `force`). */
  due(now: number, force = false): boolean {
    return this.pending.size > 0 && (force || this.quota(now) > 0);
  }

  /**
   * The records to send now (all when `force`), oldest first, as messages. They stay pending until
   * `sent` is called with the same ids (a failed send leaves them for the next flush: the topic is
   * never left behind).
   */
  take(now: number, force = false): { userIds: string[]; messages: OutboundMessage[] } {
    const max = force ? Number.POSITIVE_INFINITY : Math.min(this.maxPerFlush, this.quota(now));
    const userIds: string[] = [];
    const messages: OutboundMessage[] = [];
    const vectors = this.vectors;
    if (!vectors) return { userIds, messages };
    for (const [userId, slot] of this.pending) {
      if (userIds.length >= max) break;
      const vector = vectors.view(slot);
      const eventTime = this.eventTimes.get(slot);
      userIds.push(userId);
      messages.push({
        key: userId,
        value: encodeUserVectorRecord({ userId, vector, eventTime, publishedAt: now }, float32Bytes(vector)),
      });
    }
    return { userIds, messages };
  }

  /** The records taken are acknowledged (flushes run one at a time: nothing changed them meanwhile). */
  sent(userIds: readonly string[]): void {
    for (const userId of userIds) this.delete(userId);
    if (!this.round) return;
    this.round.sent += userIds.length;
    if (this.round.sent >= this.round.size || this.pending.size === 0) this.round = null;
  }

  /** How many records the pace allows now, beginning a round when one is due. */
  private quota(now: number): number {
    if (this.intervalMs <= 0) return this.pending.size;
    if (!this.round) {
      if (now < this.nextRoundAt || this.pending.size === 0) return 0;
      this.round = { startedAt: now, size: this.pending.size, sent: 0 };
      this.nextRoundAt = now + this.intervalMs;
    }
    const { startedAt, size, sent } = this.round;
    const share = Math.min(1, (now - startedAt) / this.intervalMs);
    return Math.max(0, Math.ceil(size * share) - sent);
  }
}
