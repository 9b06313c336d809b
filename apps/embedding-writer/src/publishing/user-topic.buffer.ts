import { OutboundMessage } from '@app/kafka';
import { encodeUserVectorRecord, float32Bytes } from '@app/vector-store';

interface PendingUserRecord {
  /**
   * The model's per-user "last published" unit vector (rewritten in place at each publication, so
   * it always holds what Redis holds): no copy per flush.
   */
  vector: Float32Array;
  /** eventTime of the flush that last published this user to Redis, epoch ms. */
  eventTime: number;
}

/**
 * The compacted user topic's pending records, coalesced per user over `intervalMs` (Redis keeps the
 * per-flush cadence: the recommender reads user vectors there, nobody latency-sensitive reads the
 * topic). The topic keeps only the last record per key, so sending each user's latest vector once
 * per interval leaves every reader with what it would have had. Erasures never wait here: the
 * publisher sends their tombstones with the flush that drained them (and drops any pending record).
 */
export class UserTopicBuffer {
  private readonly pending = new Map<string, PendingUserRecord>();
  private lastSentAt: number;
  /** Sending the due records, `maxPerFlush` per flush, until the buffer is empty. */
  private draining = false;

  /**
   * `intervalMs` 0 = every flush sends what it published (the old cadence). `maxPerFlush` bounds
   * the records encoded and sent by one flush (a minute's users at once would block the event loop
   * for ~10 us each, delaying the stream lifecycle lane): a due buffer is sent over several flushes.
   */
  constructor(
    readonly intervalMs: number,
    private readonly maxPerFlush = Number.POSITIVE_INFINITY,
    now = Date.now(),
  ) {
    this.lastSentAt = now;
  }

  get size(): number {
    return this.pending.size;
  }

  set(userId: string, vector: Float32Array, eventTime: number): void {
    const entry = this.pending.get(userId);
    if (entry) {
      entry.vector = vector;
      entry.eventTime = eventTime;
    } else this.pending.set(userId, { vector, eventTime });
  }

  delete(userId: string): void {
    this.pending.delete(userId);
  }

  /** Pending records whose interval has elapsed, or still being sent (or all of them when `force`). */
  due(now: number, force = false): boolean {
    return this.pending.size > 0 && (force || this.draining || now - this.lastSentAt >= this.intervalMs);
  }

  /**
   * Up to `maxPerFlush` pending records (all when `force`), oldest first, as messages to send now.
   * They stay pending until `sent` is called with the same ids (a failed send leaves them for the
   * next flush: the topic is never left behind).
   */
  take(now: number, force = false): { userIds: string[]; messages: OutboundMessage[] } {
    this.draining = true;
    const max = force ? Number.POSITIVE_INFINITY : this.maxPerFlush;
    const userIds: string[] = [];
    const messages: OutboundMessage[] = [];
    for (const [userId, { vector, eventTime }] of this.pending) {
      if (userIds.length >= max) break;
      userIds.push(userId);
      messages.push({
        key: userId,
        value: encodeUserVectorRecord({ userId, vector, eventTime, publishedAt: now }, float32Bytes(vector)),
      });
    }
    return { userIds, messages };
  }

  /**
   * The records taken at `takenAt` are acknowledged (flushes run one at a time: nothing changed
   * them meanwhile). The interval restarts once the buffer is empty.
   */
  sent(userIds: readonly string[], takenAt: number): void {
    for (const userId of userIds) this.pending.delete(userId);
    if (this.pending.size === 0) {
      this.draining = false;
      this.lastSentAt = takenAt;
    }
  }
}
