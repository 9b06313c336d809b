import { EventDataMap, EventType, NowcastEvent, SCHEMA_VERSION } from '@app/contracts';
import { BatchingProducer, KafkaBatchServer, ensureTopics } from '@app/kafka';
import { testInfra, uniqueName } from '@app/testing';
import { StreamReplica, bufferToFloat32 } from '@app/vector-store';
import { INestMicroservice, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { HashingContentEmbeddingProvider } from '@app/embeddings';
import { dot } from '@app/embeddings';
import { embeddingWriterConsumer } from './embedding-writer.consumer';
import { EmbeddingWriterService } from './embedding-writer.service';
import { EmbeddingWriterStack, createEmbeddingWriterStack } from './embedding-writer.stack';

const DIM = 128;
let seq = 0;
const T0 = Date.UTC(2026, 0, 1);

function enriched<T extends EventType>(type: T, offsetSec: number, data: EventDataMap[T]): string {
  const event = {
    eventId: `ev-${++seq}`,
    type,
    schemaVersion: SCHEMA_VERSION,
    occurredAt: T0 + offsetSec * 1000,
    data,
  };
  return JSON.stringify({ ...(event as NowcastEvent), enrichment: { ingestedAt: Date.now() } });
}
const started = (streamId: string, sellerId: string, category: string, at: number) =>
  enriched('stream.started', at, {
    streamId,
    sellerId,
    title: `${category} night`,
    category,
    tags: [category],
    language: 'en',
  });

async function eventually<T, U extends T = T>(
  read: () => T | Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<U> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value as U;
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${timeoutMs} ms; last value ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('embedding-writer against real Kafka and Redis, read through a StreamReplica', () => {
  const infra = testInfra();
  const input = uniqueName('ew-enriched');
  let redis: Redis;
  let producer: BatchingProducer;
  const apps: INestMicroservice[] = [];
  const stacks: EmbeddingWriterStack[] = [];
  const replicas: StreamReplica[] = [];

  async function startWriter(
    label: string,
  ): Promise<{ stack: EmbeddingWriterStack; streams: string; userKeyPrefix: string }> {
    const streams = uniqueName(`ew-streams-${label}`);
    const users = uniqueName(`ew-users-${label}`);
    const watermarks = uniqueName(`ew-wm-${label}`);
    const deadLetter = uniqueName(`ew-dlq-${label}`);
    await ensureTopics({ brokers: infra.kafkaBrokers }, [
      { name: streams, partitions: 3, compacted: true },
      { name: users, partitions: 3, compacted: true },
      { name: watermarks, partitions: 1, compacted: true },
      { name: deadLetter, partitions: 1 },
    ]);
    const userKeyPrefix = `${uniqueName('ew')}:emb:user:`;
    const groupId = uniqueName(`ew-group-${label}`);
    const stack = createEmbeddingWriterStack({
      brokers: infra.kafkaBrokers,
      redis,
      topics: { streams, users, watermarks, deadLetter },
      userKeyPrefix,
      coalesceMs: 20,
      consumerGroup: groupId,
    });
    stacks.push(stack);
    @Module({
      controllers: [embeddingWriterConsumer(input)],
      providers: [{ provide: EmbeddingWriterService, useValue: stack.writer }],
    })
    class WriterTestModule {}
    const moduleRef = await Test.createTestingModule({ imports: [WriterTestModule] }).compile();
    const app = moduleRef.createNestMicroservice({
      strategy: new KafkaBatchServer({
        brokers: infra.kafkaBrokers,
        groupId,
        sessionTimeoutMs: 6_000,
        heartbeatIntervalMs: 500,
      }),
      logger: ['error'],
    });
    await app.listen();
    apps.push(app);
    return { stack, streams, userKeyPrefix };
  }

  async function startReplica(topic: string): Promise<StreamReplica> {
    const replica = new StreamReplica({ kafka: { brokers: infra.kafkaBrokers }, topic, dimension: DIM });
    replicas.push(replica);
    await replica.start();
    return replica;
  }

  const send = (key: string, value: string) => producer.send(input, [{ key, value }]);

  let first: Awaited<ReturnType<typeof startWriter>>;
  let replica: StreamReplica;

  beforeAll(async () => {
    redis = new Redis(infra.redisUrl);
    producer = new BatchingProducer({ brokers: infra.kafkaBrokers, clientId: 'ew-int-producer' });
    // one input partition: a single global order, so a replay is exactly reproducible
    await ensureTopics({ brokers: infra.kafkaBrokers }, [{ name: input, partitions: 1 }]);
    first = await startWriter('a');
    replica = await startReplica(first.streams);
    // a fresh reader joins its own group first: seconds on a loaded machine
    if (!(await replica.waitUntilCaughtUp(30_000))) throw new Error('replica did not catch up');
  });

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await Promise.all(apps.map((a) => a.close()));
    await Promise.all(stacks.map((s) => s.close()));
    await producer.close();
    redis.disconnect();
  });

  it('makes started streams searchable with their payload, and drops ended, removed and expired ones', async () => {
    await send('st1', started('st1', 's1', 'watches', 0));
    await send('st2', started('st2', 's2', 'sneakers', 1));
    await send('st3', started('st3', 's3', 'comics', 2));
    await eventually(
      () => replica.store.count(),
      (n) => n === 3,
    );
    const query = new HashingContentEmbeddingProvider(DIM).embedOne({
      title: 'watches night',
      category: 'watches',
      tags: ['watches'],
      language: 'en',
    });
    const [top] = await replica.store.search({
      vector: query,
      limit: 1,
      filter: { must: [{ key: 'live', match: { value: true } }] },
    });
    expect(top.id).toBe('st1');
    expect(top.payload).toEqual({
      live: true,
      sellerId: 's1',
      category: 'watches',
      language: 'en',
      title: 'watches night',
      startedAt: T0,
    });

    await send('st1', enriched('stream.ended', 10, { streamId: 'st1' }));
    await send('st2', enriched('stream.removed', 11, { streamId: 'st2', reason: 'policy' }));
    await send('st3', enriched('stream.expired', 12, { streamId: 'st3' }));
    await eventually(
      () => replica.store.count(),
      (n) => n === 0,
    );
    // a second replica reading the compacted feed from scratch agrees
    const late = await startReplica(first.streams);
    expect(await late.waitUntilCaughtUp(30_000)).toBe(true);
    expect(await late.store.count()).toBe(0);
  });

  it("moves a user's vector (in Redis) toward what they engage with, and erases it", async () => {
    await send('st4', started('st4', 's4', 'watches', 20));
    await send('st5', started('st5', 's5', 'trading-cards', 20));
    await send('st4', enriched('view.started', 21, { userId: 'u1', streamId: 'st4' }));
    const key = first.stack.users.keyOf('u1');
    const before = bufferToFloat32(
      await eventually(
        () => redis.getBuffer(key),
        (b): b is Buffer => b !== null,
      ),
    );
    expect(before).toHaveLength(DIM);
    expect(Math.hypot(...before)).toBeCloseTo(1, 4);
    const st5 = first.stack.writer.model.streamVector('st5')!;
    for (let i = 0; i < 3; i++) {
      await send(
        'st5',
        enriched('bid.placed', 22 + i, {
          userId: 'u1',
          streamId: 'st5',
          auctionId: 'a1',
          amount: 10 + i,
          currency: 'USD',
        }),
      );
    }
    const after = await eventually(
      async () => bufferToFloat32((await redis.getBuffer(key))!),
      (v) => dot(v, st5) > dot(before, st5) + 0.2,
    );
    expect(dot(after, st5)).toBeGreaterThan(dot(before, st5));

    await send('u1', enriched('user.erased', 30, { userId: 'u1' }));
    await eventually(
      () => redis.exists(key),
      (n) => n === 0,
    );
  });

  it('reproduces the same vectors when the same events are replayed', async () => {
    await send('st6', started('st6', 's6', 'sneakers', 40));
    for (let i = 0; i < 20; i++) {
      const streamId = i % 2 === 0 ? 'st5' : 'st6';
      await send(streamId, enriched('view.started', 41 + i, { userId: `v${i % 4}`, streamId }));
    }
    await eventually(
      () => first.stack.writer.stats.events,
      (n) => n >= seq,
    );
    const second = await startWriter('b');
    await eventually(
      () => second.stack.writer.stats.events,
      (n) => n >= seq,
    );
    // published vectors may trail the model by publishMinChange while events flow; once both
    // writers are idle they settle on the exact vectors, which must then be identical
    for (const userId of ['v0', 'v1', 'v2', 'v3']) {
      const read = () =>
        Promise.all([
          redis.getBuffer(first.stack.users.keyOf(userId)),
          redis.getBuffer(second.stack.users.keyOf(userId)),
        ]);
      const [a, b] = await eventually(read, ([x, y]) => x !== null && y !== null && x.equals(y));
      expect(a).toHaveLength(DIM * 4);
      expect(b).toEqual(a);
    }
    // each writer settles after its own quiet period: equal user vectors in Redis do not say that
    // both have settled their streams too
    const stale = await eventually(
      () => first.stack.writer.model.stale + second.stack.writer.model.stale,
      (n) => n === 0,
    );
    expect(stale).toBe(0);
    expect(Array.from(second.stack.writer.model.streamVector('st6')!)).toEqual(
      Array.from(first.stack.writer.model.streamVector('st6')!),
    );
  });
});
