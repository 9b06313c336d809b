import { INestMicroservice } from '@nestjs/common';
import { Redis } from 'ioredis';
import { Admin, Consumer } from 'kafkajs';
import { testInfra, uniqueName } from '@app/testing';
import { KafkaBatch } from './batch.types';
import { BatchingProducer } from './batching.producer';
import { ensureTopics } from './topic-bootstrap.admin';
import {
  committedOffsets,
  consumerModule,
  eventually,
  FAST_GROUP,
  ids,
  rawKafka,
  startKafkaApp,
} from '../test-fixtures/kafka-test.helpers';
import { busyFor } from '../test-fixtures/busy-for';

describe('KafkaBatchServer against the real broker', () => {
  const infra = testInfra();
  let redis: Redis;
  let admin: Admin;
  let producer: BatchingProducer;
  const apps: INestMicroservice[] = [];

  beforeAll(async () => {
    redis = new Redis(infra.redisUrl);
    admin = rawKafka(infra.kafkaBrokers).admin();
    await admin.connect();
    producer = new BatchingProducer({ brokers: infra.kafkaBrokers, clientId: 'kafka-int-producer' });
  });

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  afterAll(async () => {
    await producer.close();
    await admin.disconnect();
    redis.disconnect();
  });

  /** The handler the tests share: every message id into a Redis set, one pipeline per batch. */
  const writeIdsToRedis = (prefix: string, sizes: number[]) => async (batch: KafkaBatch) => {
    const pipeline = redis.pipeline();
    pipeline.sadd(`${prefix}:ids`, ...batch.messages.map((m) => m.value?.toString() ?? ''));
    pipeline.incrby(`${prefix}:deliveries`, batch.messages.length);
    await pipeline.exec();
    sizes.push(batch.messages.length);
  };

  it('consumes batches in a consumer group of two Nest apps and writes every id to Redis', async () => {
    const topic = uniqueName('kbs-group');
    const groupId = uniqueName('kbs-group');
    const prefix = uniqueName('kbs-group');
    await ensureTopics({ brokers: infra.kafkaBrokers }, [{ name: topic, partitions: 4 }]);
    const sizes: number[] = [];
    const module = consumerModule(topic, writeIdsToRedis(prefix, sizes));
    const options = { brokers: infra.kafkaBrokers, groupId, ...FAST_GROUP };
    const first = await startKafkaApp(module, options);
    apps.push(first.app);
    const second = await startKafkaApp(module, options);
    apps.push(second.app);

    // Both members hold a disjoint share of the four partitions once the group settled.
    const assignments = await eventually(
      () =>
        [first.server.health(), second.server.health()].map((h) => h.assigned.flatMap((a) => a.partitions)),
      (parts) => parts.every((p) => p.length === 2),
    );
    expect([...assignments[0], ...assignments[1]].sort()).toEqual([0, 1, 2, 3]);

    const expected = ids(2_000);
    await Promise.all(expected.map((id, i) => producer.send(topic, [{ key: `k${i % 37}`, value: id }])));
    await eventually(
      () => redis.scard(`${prefix}:ids`),
      (n) => n === expected.length,
    );
    expect((await redis.smembers(`${prefix}:ids`)).sort()).toEqual([...expected].sort());
    expect(Math.max(...sizes)).toBeGreaterThan(1);

    // Offsets are committed for everything handled: the committed offsets add up to the message count.
    const committed = await eventually(
      () => committedOffsets(admin, groupId, topic),
      (offsets) => [...offsets.values()].reduce((sum, o) => sum + Number(o), 0) === expected.length,
    );
    expect(committed.size).toBe(4);
    // The broker shows a commit before its member has handled the commit's response and recorded the
    // batch (lag, failures): wait for both members' own view to settle on the committed state.
    const settled = await eventually(
      () =>
        [first.server, second.server].map((server) => {
          const { joined, failing, lag } = server.health();
          return { joined, failing: failing.length, lagging: lag.filter((l) => l.lag !== 0).length };
        }),
      (views) => views.every((v) => v.joined && v.failing === 0 && v.lagging === 0),
      15_000,
    );
    expect(settled).toEqual([
      { joined: true, failing: 0, lagging: 0 },
      { joined: true, failing: 0, lagging: 0 },
    ]);
    await redis.del(`${prefix}:ids`, `${prefix}:deliveries`);
  });

  it('redelivers a failing batch without committing, then commits once the fault clears', async () => {
    const topic = uniqueName('kbs-fault');
    const groupId = uniqueName('kbs-fault');
    const prefix = uniqueName('kbs-fault');
    await ensureTopics({ brokers: infra.kafkaBrokers }, [{ name: topic, partitions: 1 }]);
    const expected = ids(50);
    await producer.send(
      topic,
      expected.map((id) => ({ key: 'one-key', value: id })),
    );

    let faulty = true;
    const failedFirstOffsets: string[] = [];
    const sizes: number[] = [];
    const write = writeIdsToRedis(prefix, sizes);
    const module = consumerModule(topic, async (batch) => {
      if (faulty) {
        failedFirstOffsets.push(batch.messages[0].offset);
        throw new Error('dependency unavailable');
      }
      await write(batch);
    });
    // logger off: the RPC exception filter would log every injected failure.
    const { app, server } = await startKafkaApp(
      module,
      { brokers: infra.kafkaBrokers, groupId, ...FAST_GROUP },
      false,
    );
    apps.push(app);

    await eventually(
      () => failedFirstOffsets.length,
      (n) => n >= 3,
    );
    // Every redelivery starts at the same first offset, and nothing was committed meanwhile.
    expect(new Set(failedFirstOffsets)).toEqual(new Set(['0']));
    expect((await committedOffsets(admin, groupId, topic)).get(0)).toBe('-1');
    expect(server.health().failing).toEqual([
      expect.objectContaining({ topic, partition: 0, attempts: expect.any(Number) as number }),
    ]);
    expect(await redis.scard(`${prefix}:ids`)).toBe(0);

    faulty = false;
    await eventually(
      () => committedOffsets(admin, groupId, topic),
      (offsets) => offsets.get(0) === String(expected.length),
    );
    expect((await redis.smembers(`${prefix}:ids`)).sort()).toEqual([...expected].sort());
    // The broker shows the commit before this process has handled the commit's response.
    await eventually(
      () => server.health().failing,
      (failing) => failing.length === 0,
      15_000,
    );
    await redis.del(`${prefix}:ids`, `${prefix}:deliveries`);
  });

  it('pauses and resumes fetching for backpressure', async () => {
    const topic = uniqueName('kbs-pause');
    const groupId = uniqueName('kbs-pause');
    await ensureTopics({ brokers: infra.kafkaBrokers }, [{ name: topic, partitions: 2 }]);
    const received: string[] = [];
    const module = consumerModule(topic, (batch) => {
      received.push(...batch.messages.map((m) => m.value?.toString() ?? ''));
      return Promise.resolve();
    });
    const { app, server } = await startKafkaApp(module, {
      brokers: infra.kafkaBrokers,
      groupId,
      ...FAST_GROUP,
    });
    apps.push(app);
    await producer.send(topic, [{ key: 'a', value: 'before' }]);
    await eventually(
      () => received.length,
      (n) => n === 1,
    );
    server.pause();
    expect(server.health().paused).toBe(true);
    await producer.send(topic, [{ key: 'a', value: 'while-paused' }]);
    // The broker has the message; a paused consumer must not fetch it (checked over a few fetch cycles).
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(received).toEqual(['before']);
    server.resume();
    await eventually(
      () => received.length,
      (n) => n === 2,
    );
    expect(received).toEqual(['before', 'while-paused']);
  });

  it('close() lets the in-flight batch finish and commits it', async () => {
    const topic = uniqueName('kbs-close');
    const groupId = uniqueName('kbs-close');
    await ensureTopics({ brokers: infra.kafkaBrokers }, [{ name: topic, partitions: 1 }]);
    await producer.send(
      topic,
      ids(20).map((id) => ({ key: null, value: id })),
    );
    let started = false;
    let finished = 0;
    const module = consumerModule(topic, async (batch) => {
      started = true;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      finished += batch.messages.length;
    });
    const { app } = await startKafkaApp(module, { brokers: infra.kafkaBrokers, groupId, ...FAST_GROUP });
    await eventually(
      () => started,
      (s) => s,
    );
    await app.close();
    expect(finished).toBe(20);
    expect((await committedOffsets(admin, groupId, topic)).get(0)).toBe('20');
  });

  it('commits the offsets of many batches in one request, at the interval or at close()', async () => {
    const topic = uniqueName('kbs-deferred');
    const groupId = uniqueName('kbs-deferred');
    await ensureTopics({ brokers: infra.kafkaBrokers }, [{ name: topic, partitions: 4 }]);
    let batches = 0;
    let handled = 0;
    const module = consumerModule(topic, (batch) => {
      batches += 1;
      handled += batch.messages.length;
      return Promise.resolve();
    });
    const { app, server } = await startKafkaApp(module, {
      brokers: infra.kafkaBrokers,
      groupId,
      ...FAST_GROUP,
      offsetCommitIntervalMs: 60_000,
    });
    const { consumer } = server.unwrap<{ consumer: Consumer }>();
    const requests: number[] = [];
    consumer.on(consumer.events.COMMIT_OFFSETS, ({ payload }) =>
      requests.push(payload.topics.reduce((sum, t) => sum + t.partitions.length, 0)),
    );
    const expected = ids(400);
    for (let round = 0; round < 8; round++) {
      const slice = expected.slice(round * 50, (round + 1) * 50);
      await producer.send(
        topic,
        slice.map((id, i) => ({ key: `k${i}`, value: id })),
      );
      await eventually(
        () => handled,
        (n) => n === (round + 1) * 50,
      );
    }
    expect(batches).toBeGreaterThanOrEqual(8);
    // Handled, but within the interval: nothing committed yet.
    expect(requests).toEqual([]);
    expect([...(await committedOffsets(admin, groupId, topic)).values()]).toEqual(['-1', '-1', '-1', '-1']);

    await app.close();
    // One request with every partition's newest offset, before the member left.
    expect(requests).toEqual([4]);
    const committed = await committedOffsets(admin, groupId, topic);
    expect([...committed.values()].reduce((sum, o) => sum + Number(o), 0)).toBe(expected.length);
  });

  it('lets the event loop turn between the costly batches of one fetch', async () => {
    const topic = uniqueName('kbs-yield');
    await ensureTopics({ brokers: infra.kafkaBrokers }, [{ name: topic, partitions: 4 }]);
    // every partition has records before the join, so the first fetch holds a batch of each
    await producer.send(
      topic,
      ids(400).map((id, i) => ({ key: `k${i}`, value: id })),
    );
    let handled = 0;
    let batches = 0;
    let starved = 0;
    let loopTurned = true;
    const module = consumerModule(topic, (batch) => {
      // A handler that awaits no I/O (as the embedding-writer's). Had the loop not turned since
      // the previous batch, timers and sockets (health checks, heartbeats) would have waited.
      if (!loopTurned) starved += 1;
      loopTurned = false;
      setImmediate(() => (loopTurned = true));
      batches += 1;
      handled += batch.messages.length;
      busyFor(12); // over the 10 ms budget, as the writer's batches while it replays its topic
      return Promise.resolve();
    });
    const { app } = await startKafkaApp(module, {
      brokers: infra.kafkaBrokers,
      groupId: uniqueName('kbs-yield'),
      ...FAST_GROUP,
    });
    apps.push(app);
    await eventually(
      () => handled,
      (n) => n === 400,
    );
    expect(batches).toBeGreaterThanOrEqual(4);
    expect(starved).toBe(0);
  });

  it('keeps the session alive through a batch longer than the session timeout', async () => {
    const topic = uniqueName('kbs-long');
    const groupId = uniqueName('kbs-long');
    await ensureTopics({ brokers: infra.kafkaBrokers }, [{ name: topic, partitions: 1 }]);
    await producer.send(
      topic,
      ids(10).map((id) => ({ key: null, value: id })),
    );
    let handled = 0;
    const module = consumerModule(topic, async (batch) => {
      // 1.5 x the 3 s session timeout: only the server's heartbeats keep this member in the group.
      await new Promise((resolve) => setTimeout(resolve, 4_500));
      handled += batch.messages.length;
    });
    const { app, server } = await startKafkaApp(module, {
      brokers: infra.kafkaBrokers,
      groupId,
      ...FAST_GROUP,
    });
    apps.push(app);
    const errors: unknown[] = [];
    server.observe({ onError: (error) => errors.push(error) });
    await eventually(
      () => committedOffsets(admin, groupId, topic),
      (offsets) => offsets.get(0) === '10',
      30_000,
    );
    expect(handled).toBe(10);
    expect(errors).toEqual([]);
    expect(server.health().joined).toBe(true);
  });
});
