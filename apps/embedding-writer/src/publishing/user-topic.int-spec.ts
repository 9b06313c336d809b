import { EventDataMap, EventType, SCHEMA_VERSION } from '@app/contracts';
import { KafkaBatch, ensureTopics } from '@app/kafka';
import { testInfra, uniqueName } from '@app/testing';
import { decodeUserVectorRecord } from '@app/vector-store';
import { Consumer, Kafka, logLevel } from 'kafkajs';
import { Redis } from 'ioredis';
import { EmbeddingWriterStack, createEmbeddingWriterStack } from '../writer/embedding-writer.stack';

const DIM = 128;
const T0 = Date.UTC(2026, 0, 1);
let offset = 0;

function batchOf(events: { type: EventType; sec: number; data: EventDataMap[EventType] }[]): KafkaBatch {
  return {
    topic: 'enriched',
    partition: 0,
    messages: events.map(({ type, sec, data }) => ({
      offset: String(offset++),
      key: null,
      value: Buffer.from(
        JSON.stringify({
          eventId: `ut-${offset}`,
          type,
          schemaVersion: SCHEMA_VERSION,
          occurredAt: T0 + sec * 1000,
          data,
          enrichment: { ingestedAt: Date.now() },
        }),
      ),
      headers: {},
      timestamp: T0 + sec * 1000,
    })),
    highWatermark: String(offset),
    heartbeat: () => Promise.resolve(),
  };
}

async function eventually<T>(read: () => T, ok: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('user topic cadence against real Kafka and Redis', () => {
  const infra = testInfra();
  let redis: Redis;
  let consumer: Consumer;
  let stack: EmbeddingWriterStack | undefined;
  /** Every record of the user topic, in partition order per key. */
  const records: { key: string; value: Buffer | null }[] = [];

  beforeAll(() => {
    redis = new Redis(infra.redisUrl);
  });

  afterAll(async () => {
    await stack?.close().catch(() => undefined);
    await consumer?.disconnect();
    redis.disconnect();
  });

  it('keeps Redis per flush, tombstones an erasure at once, and ends the topic with the latest vectors', async () => {
    const topics = {
      streams: uniqueName('ut-streams'),
      users: uniqueName('ut-users'),
      watermarks: uniqueName('ut-wm'),
      deadLetter: uniqueName('ut-dlq'),
    };
    await ensureTopics({ brokers: infra.kafkaBrokers }, [
      { name: topics.streams, partitions: 1, compacted: true },
      { name: topics.users, partitions: 3, compacted: true },
      { name: topics.watermarks, partitions: 1, compacted: true },
      { name: topics.deadLetter, partitions: 1 },
    ]);
    consumer = new Kafka({ brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING }).consumer({
      groupId: uniqueName('ut-reader'),
      maxWaitTimeInMs: 50,
    });
    await consumer.connect();
    await consumer.subscribe({ topic: topics.users, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        records.push({ key: String(message.key), value: message.value });
        return Promise.resolve();
      },
    });
    const keyPrefix = `${uniqueName('ut')}:emb:user:`;
    stack = createEmbeddingWriterStack({
      brokers: infra.kafkaBrokers,
      redis,
      topics,
      userKeyPrefix: keyPrefix,
      coalesceMs: 20,
      userTopicMs: 60_000,
      consumerGroup: uniqueName('ut-group'),
    });
    const writer = stack.writer;
    const start = {
      streamId: 'st1',
      sellerId: 's1',
      title: 'cards',
      category: 'cards',
      tags: [],
      language: 'en',
    };
    await writer.handleBatch(
      batchOf([
        { type: 'stream.started', sec: 1, data: start },
        { type: 'view.started', sec: 2, data: { userId: 'u1', streamId: 'st1' } },
        { type: 'view.started', sec: 2, data: { userId: 'u2', streamId: 'st1' } },
      ]),
    );
    await writer.flush(true);
    // Redis has both users after the coalescing flush; the topic waits for its interval
    expect(await redis.exists(`${keyPrefix}u1`, `${keyPrefix}u2`)).toBe(2);
    // as deployed: a vector outlives the user's last engagement by EMBEDDING_USER_VECTOR_TTL_SEC's 30 days
    expect(await redis.ttl(`${keyPrefix}u2`)).toBeGreaterThan(30 * 86_400);
    expect(writer.stats.userRecords).toBe(0);

    await writer.handleBatch(batchOf([{ type: 'user.erased', sec: 3, data: { userId: 'u1' } }]));
    // the erasure is not held back: gone from Redis and tombstoned on the topic with its batch
    expect(await redis.exists(`${keyPrefix}u1`)).toBe(0);
    await eventually(
      () => records.filter((r) => r.key === 'u1'),
      (r) => r.length > 0,
    );
    expect(records.filter((r) => r.key === 'u1')).toEqual([{ key: 'u1', value: null }]);

    // shutdown sends what waited: the topic ends with u2's vector, byte for byte what Redis holds
    await stack.close();
    stack = undefined;
    const u2 = await eventually(
      () => records.filter((r) => r.key === 'u2'),
      (r) => r.length > 0,
    );
    expect(u2).toHaveLength(1);
    const stored = (await redis.getBuffer(`${keyPrefix}u2`))!;
    const record = decodeUserVectorRecord(u2[0].value!, DIM);
    expect(Buffer.from(record.vector.buffer, record.vector.byteOffset, record.vector.byteLength)).toEqual(
      stored,
    );
    expect(records.filter((r) => r.key === 'u1')).toEqual([{ key: 'u1', value: null }]);
    await redis.del(`${keyPrefix}u2`);
  });
});
