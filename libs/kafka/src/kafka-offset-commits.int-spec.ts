import { INestMicroservice } from '@nestjs/common';
import { Admin, Consumer } from 'kafkajs';
import { testInfra, uniqueName } from '@app/testing';
import { KafkaBatch } from './batch.types';
import { BatchingProducer } from './batching.producer';
import { KafkaBatchServer } from './kafka-batch.server';
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

/** Counts the OffsetCommit requests this server's consumer sends (kafkajs instrumentation). */
function countCommits(server: KafkaBatchServer): { count: number } {
  const counter = { count: 0 };
  const { consumer } = server.unwrap<{ consumer: Consumer }>();
  consumer.on(consumer.events.REQUEST, ({ payload }) => {
    if (payload.apiName === 'OffsetCommit') counter.count += 1;
  });
  return counter;
}

const sum = (offsets: Map<number, string>): number =>
  [...offsets.values()].reduce((total, o) => total + Math.max(0, Number(o)), 0);

describe('KafkaBatchServer offset commits (asynchronous, coalesced)', () => {
  const infra = testInfra();
  let admin: Admin;
  let producer: BatchingProducer;
  const apps: INestMicroservice[] = [];

  beforeAll(async () => {
    admin = rawKafka(infra.kafkaBrokers).admin();
    await admin.connect();
    producer = new BatchingProducer({ brokers: infra.kafkaBrokers, clientId: 'kafka-commit-producer' });
  });

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  afterAll(async () => {
    await producer.close();
    await admin.disconnect();
  });

  /** Handler that records every (partition, offset) it handled, duplicates included. */
  const recordOffsets = (handled: string[]) => (batch: KafkaBatch) => {
    for (const m of batch.messages) handled.push(`${batch.partition}:${m.offset}`);
    return Promise.resolve();
  };

  it('commits the last handled batch within the interval, and coalesces batches into few requests', async () => {
    const topic = uniqueName('koc-coalesce');
    const groupId = uniqueName('koc-coalesce');
    await ensureTopics(admin, [{ name: topic, partitions: 2 }]);
    const handled: string[] = [];
    let batches = 0;
    const module = consumerModule(topic, (batch) => {
      batches += 1;
      return recordOffsets(handled)(batch);
    });
    const commitIntervalMs = 1_000;
    const options = { brokers: infra.kafkaBrokers, groupId, commitIntervalMs, ...FAST_GROUP };
    const { app, server } = await startKafkaApp(module, options);
    apps.push(app);
    const commits = countCommits(server);

    // One awaited send per message: the consumer sees a stream of small batches.
    const expected = ids(150);
    const started = Date.now();
    for (const [i, id] of expected.entries()) await producer.send(topic, [{ key: `k${i % 7}`, value: id }]);
    await eventually(
      () => handled.length,
      (n) => n === expected.length,
    );
    const handledAt = Date.now();
    const committed = await eventually(
      () => committedOffsets(admin, groupId, topic),
      (offsets) => sum(offsets) === expected.length,
      commitIntervalMs + 5_000,
    );
    expect(committed.size).toBe(2);
    // The batches went out in far fewer requests: at most one per interval (+ the first, sent at once,
    // and the last one due).
    const elapsedMs = handledAt - started;
    expect(batches).toBeGreaterThanOrEqual(20);
    expect(commits.count).toBeLessThanOrEqual(Math.ceil(elapsedMs / commitIntervalMs) + 2);
    expect(commits.count).toBeLessThan(batches / 4);
    expect(server.health().lag.every((l) => l.lag === 0)).toBe(true);
  });

  it('commits what was handled at close(), and a restarted consumer resumes exactly there', async () => {
    const topic = uniqueName('koc-close');
    const groupId = uniqueName('koc-close');
    await ensureTopics(admin, [{ name: topic, partitions: 1 }]);
    const handled: string[] = [];
    const module = consumerModule(topic, recordOffsets(handled));
    // An interval far beyond the test: only the first commit (sent at once) and close() commit.
    const options = { brokers: infra.kafkaBrokers, groupId, commitIntervalMs: 600_000, ...FAST_GROUP };
    const first = await startKafkaApp(module, options);
    await producer.send(topic, [{ key: 'a', value: 'first' }]);
    await eventually(
      () => committedOffsets(admin, groupId, topic),
      (offsets) => offsets.get(0) === '1',
    );
    await producer.send(
      topic,
      ids(9).map((id) => ({ key: 'a', value: id })),
    );
    await eventually(
      () => handled.length,
      (n) => n === 10,
    );
    // Handled, but held until the interval is over...
    expect((await committedOffsets(admin, groupId, topic)).get(0)).toBe('1');
    await first.app.close();
    // ...or until close().
    expect((await committedOffsets(admin, groupId, topic)).get(0)).toBe('10');

    await producer.send(topic, [{ key: 'a', value: 'after-restart' }]);
    const resumed: string[] = [];
    const second = await startKafkaApp(consumerModule(topic, recordOffsets(resumed)), options);
    apps.push(second.app);
    await eventually(
      () => resumed.length,
      (n) => n >= 1,
    );
    expect(resumed).toEqual(['0:10']);
  });

  it('commits the first member’s handled offsets before its partitions move to a joining member', async () => {
    const topic = uniqueName('koc-rebalance');
    const groupId = uniqueName('koc-rebalance');
    await ensureTopics(admin, [{ name: topic, partitions: 4 }]);
    const handled: string[] = [];
    const module = consumerModule(topic, recordOffsets(handled));
    // Without a flush before the rebalance, all but the first commit would wait 10 minutes.
    const options = { brokers: infra.kafkaBrokers, groupId, commitIntervalMs: 600_000, ...FAST_GROUP };
    const first = await startKafkaApp(module, options);
    apps.push(first.app);
    const before = ids(200, 'before');
    for (let start = 0; start < before.length; start += 20)
      await producer.send(
        topic,
        before.slice(start, start + 20).map((id, i) => ({ key: `k${start + i}`, value: id })),
      );
    await eventually(
      () => handled.length,
      (n) => n === before.length,
    );
    expect(sum(await committedOffsets(admin, groupId, topic))).toBeLessThan(before.length);

    const second = await startKafkaApp(module, options);
    apps.push(second.app);
    await eventually(
      () =>
        [first.server.health(), second.server.health()].map((h) => h.assigned.flatMap((a) => a.partitions)),
      (parts) => parts.every((p) => p.length === 2),
    );
    const after = ids(100, 'after');
    await producer.send(
      topic,
      after.map((id, i) => ({ key: `j${i}`, value: id })),
    );
    await eventually(
      () => handled.length,
      (n) => n >= before.length + after.length,
    );
    await new Promise((resolve) => setTimeout(resolve, 500)); // let redeliveries, if any, arrive
    // Nothing handled twice: the moved partitions started where the first member had got to.
    expect(handled.length).toBe(new Set(handled).size);
    expect(handled.length).toBe(before.length + after.length);
  });
});
