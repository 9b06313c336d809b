import { EventProducer, OutboundMessage } from '@app/kafka';
import { VectorPoint, VectorStore, encodeStreamVectorRecord, float32Bytes } from '@app/vector-store';
import { EmbeddingChanges } from '../embedding-model/embedding-model.service';
import { UserTopicBuffer } from './user-topic.buffer';
import { UserVectorRepository } from './user-vector.repository';
import { WatermarkRecord, watermarkKey } from './watermark.record';

/**
 * Messages per producer request: a user record is ~0.7 KB, and Kafka refuses a record batch over
 * max.message.bytes (1 MiB by default), so a request must stay well below ~1,400 records.
 */
export const PUBLISH_BATCH_MESSAGES = 1000;

/**
 * Cap on the user-topic records encoded and sent by one flush (~10 us of CPU each) when the paced
 * rounds fall behind (UserTopicBuffer): catching up never blocks the event loop - and the stream
 * lifecycle lane - for a whole minute's users at once.
 */
export const USER_TOPIC_RECORDS_PER_FLUSH = 2 * PUBLISH_BATCH_MESSAGES;

export interface EmbeddingPublisherTopics {
  streams: string;
  users: string;
  watermarks: string;
}

/** Qdrant collections, present only when QDRANT_URL is set. */
export interface QdrantTargets {
  streams: VectorStore;
  users: VectorStore;
  /**
   * A user point whose `lastEngagedAt` is this far (event time, ms) behind a flush is deleted:
   * the Redis key's TTL (`userVectorExpiry(ttl).forgetAfterMs`), so both forget a user together.
   * Infinity (or absent) = never.
   */
  userPointTtlMs?: number;
}

/** How often (event time, ms) the users collection is swept of idle users' points. */
export const USER_POINT_SWEEP_EVERY_MS = 15 * 60_000;

/** The payload field of a user point that the idle sweep filters on (event time, epoch ms). */
export const LAST_ENGAGED_AT = 'lastEngagedAt';

/**
 * Writes one flush's changes everywhere at once: the compacted stream feed (tombstone = null
 * value), user vectors in Redis (one pipeline), Qdrant when configured, and the compacted user feed:
 * erasures' tombstones at once, upserts coalesced per user and sent about once per `userTopicMs`,
 * paced over the interval (see UserTopicBuffer; 0 = with every flush). Resolves when every target acknowledged; rejects if any
 * failed (the caller requeues the changes; unsent user records stay buffered).
 */
export class EmbeddingPublisher {
  private readonly userTopic: UserTopicBuffer;
  /** Event time at which the users collection's next idle sweep is due. */
  private nextUserPointSweepAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly producer: EventProducer,
    private readonly topics: EmbeddingPublisherTopics,
    private readonly userVectors: Pick<UserVectorRepository, 'write'>,
    private readonly qdrant?: QdrantTargets,
    userTopicMs = 0,
    /** When the user topic's first interval starts (tests pass their clock). */
    createdAt = Date.now(),
  ) {
    this.userTopic = new UserTopicBuffer(
      userTopicMs,
      userTopicMs > 0 ? USER_TOPIC_RECORDS_PER_FLUSH : undefined,
      createdAt,
    );
  }

  /** The user topic's coalescing interval, ms (0 = with every flush). */
  get userTopicIntervalMs(): number {
    return this.userTopic.intervalMs;
  }

  /** User records waiting for the user topic's interval. */
  get pendingUserRecords(): number {
    return this.userTopic.size;
  }

  /** Whether a publish now would send buffered user records (so an idle writer still sends them). */
  userTopicDue(now = Date.now(), force = false): boolean {
    return this.userTopic.due(now, force);
  }

  /**
   * `flushUserTopic` sends every buffered user record whatever the interval (shutdown). Must not
   * run concurrently with itself (the writer runs one flush at a time).
   */
  async publish(
    changes: EmbeddingChanges,
    eventTime: number,
    now = Date.now(),
    flushUserTopic = false,
  ): Promise<number> {
    const streamMessages: OutboundMessage[] = changes.streams.map((c) => {
      const message: OutboundMessage = {
        key: c.streamId,
        value:
          c.vector && c.payload
            ? encodeStreamVectorRecord({
                streamId: c.streamId,
                vector: c.vector,
                payload: { ...c.payload },
                eventTime,
                publishedAt: now,
              })
            : null,
      };
      // a sampled lifecycle event's trace continues on the record it caused
      if (c.traceparent !== undefined) message.headers = { traceparent: c.traceparent };
      return message;
    });
    const userMessages: OutboundMessage[] = [];
    const userUpserts: { userId: string; vector: Float32Array; bytes: Buffer }[] = [];
    const userDeletes: string[] = [];
    for (const { userId, vector } of changes.users) {
      if (vector === null) {
        // erasure: the tombstone goes out now, and a buffered record must not follow it
        this.userTopic.delete(userId);
        userMessages.push({ key: userId, value: null });
        userDeletes.push(userId);
        continue;
      }
      // a view of the float32 bytes (no copy) for the Redis value; the topic record comes later
      userUpserts.push({ userId, vector, bytes: float32Bytes(vector) });
      this.userTopic.set(userId, vector, eventTime);
    }
    const sendBuffered = this.userTopic.due(now, flushUserTopic);
    const taken = sendBuffered ? this.userTopic.take(now, flushUserTopic) : null;
    if (taken) userMessages.push(...taken.messages);
    const writes: Promise<void>[] = [];
    writes.push(...this.sendChunked(this.topics.streams, streamMessages));
    writes.push(...this.sendChunked(this.topics.users, userMessages));
    writes.push(this.userVectors.write(userUpserts, userDeletes));
    if (this.qdrant) writes.push(this.writeQdrant(changes, this.qdrant, eventTime));
    const results = await Promise.allSettled(writes);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    if (taken) this.userTopic.sent(taken.userIds);
    return userMessages.length;
  }

  async publishWatermarks(records: readonly WatermarkRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.producer.send(
      this.topics.watermarks,
      records.map((r) => ({ key: watermarkKey(r.service, r.topic, r.partition), value: JSON.stringify(r) })),
    );
  }

  /** One producer request per PUBLISH_BATCH_MESSAGES messages (the producer never splits a send). */
  private sendChunked(topic: string, messages: OutboundMessage[]): Promise<void>[] {
    const sends: Promise<void>[] = [];
    for (let i = 0; i < messages.length; i += PUBLISH_BATCH_MESSAGES) {
      sends.push(this.producer.send(topic, messages.slice(i, i + PUBLISH_BATCH_MESSAGES)));
    }
    return sends;
  }

  private async writeQdrant(
    changes: EmbeddingChanges,
    qdrant: QdrantTargets,
    eventTime: number,
  ): Promise<void> {
    const streamPoints: VectorPoint[] = [];
    const streamDeletes: string[] = [];
    for (const c of changes.streams) {
      if (c.vector && c.payload)
        streamPoints.push({ id: c.streamId, vector: c.vector, payload: { ...c.payload } });
      else streamDeletes.push(c.streamId);
    }
    const userPoints: VectorPoint[] = changes.users.flatMap((c) =>
      c.vector
        ? [{ id: c.userId, vector: c.vector, payload: { userId: c.userId, [LAST_ENGAGED_AT]: eventTime } }]
        : [],
    );
    const userDeletes = changes.users.filter((c) => c.vector === null).map((c) => c.userId);
    await Promise.all([
      streamDeletes.length > 0 ? qdrant.streams.delete(streamDeletes) : undefined,
      streamPoints.length > 0 ? qdrant.streams.upsert(streamPoints) : undefined,
      userDeletes.length > 0 ? qdrant.users.delete(userDeletes) : undefined,
      userPoints.length > 0 ? qdrant.users.upsert(userPoints) : undefined,
      this.sweepIdleUserPoints(qdrant, eventTime),
    ]);
  }

  /**
   * Deletes the points of users idle for `userPointTtlMs` with one filtered request, at most every
   * USER_POINT_SWEEP_EVERY_MS of event time (a failure fails the flush, which is retried). A
   * republication of an unchanged vector (an eighth of the TTL after the last one) renews
   * `lastEngagedAt`, so an active user's point never goes.
   */
  private async sweepIdleUserPoints(qdrant: QdrantTargets, eventTime: number): Promise<void> {
    const ttl = qdrant.userPointTtlMs ?? Number.POSITIVE_INFINITY;
    if (!Number.isFinite(ttl) || eventTime < this.nextUserPointSweepAt) return;
    await qdrant.users.deleteWhere({ must: [{ key: LAST_ENGAGED_AT, range: { lt: eventTime - ttl } }] });
    this.nextUserPointSweepAt = eventTime + USER_POINT_SWEEP_EVERY_MS;
  }
}
