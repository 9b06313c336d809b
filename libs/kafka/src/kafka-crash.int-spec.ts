import { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { Admin, EachBatchPayload } from 'kafkajs';
import { testInfra, uniqueName } from '@app/testing';
import { BatchingProducer } from './batching.producer';
import { ensureTopics } from './topic-bootstrap.admin';
import { committedOffsets, eventually, ids, rawKafka } from '../test-fixtures/kafka-test.helpers';
import { startConsumerProcess, stopConsumerProcess as stop } from '../test-fixtures/consumer-process';

async function readCommitted(brokers: string[], topic: string, expectAtLeast: number): Promise<string[]> {
  const consumer = rawKafka(brokers).consumer({ groupId: uniqueName('crash-reader'), maxWaitTimeInMs: 50 });
  const values: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: ({ batch }: EachBatchPayload) => {
      values.push(...batch.messages.map((m) => m.value?.toString() ?? ''));
      return Promise.resolve();
    },
  });
  await eventually(
    () => values.length,
    (n) => n >= expectAtLeast,
  );
  await new Promise((resolveLater) => setTimeout(resolveLater, 1_000)); // let duplicates, if any, arrive
  await consumer.disconnect();
  return values;
}

describe('a consumer process killed (SIGKILL) mid-batch loses nothing', () => {
  const infra = testInfra();
  let redis: Redis;
  let admin: Admin;
  let producer: BatchingProducer;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    redis = new Redis(infra.redisUrl);
    admin = rawKafka(infra.kafkaBrokers).admin();
    await admin.connect();
    producer = new BatchingProducer({ brokers: infra.kafkaBrokers });
  });

  afterEach(async () => {
    await Promise.all(children.splice(0).map((child) => stop(child, 'SIGKILL')));
  });

  afterAll(async () => {
    await producer.close();
    await admin.disconnect();
    redis.disconnect();
  });

  async function runKillAndRestart(
    output?: { topic: string; transactionalIdPrefix: string; scope?: 'partition' | 'group' },
    membership: { groupInstanceId?: string; partitionsConsumedConcurrently?: number } = {},
  ): Promise<{
    expected: string[];
    prefix: string;
    deliveredAtKill: number;
  }> {
    const topic = uniqueName('crash-in');
    const prefix = uniqueName('crash');
    await ensureTopics(admin, [{ name: topic, partitions: 2 }]);
    const expected = ids(1_500);
    // Sequential chunks become separate record batches, so the consumer sees a stream of small batches
    // (a fetch returns at least one whole record batch, whatever maxBytesPerPartition says).
    for (let start = 0; start < expected.length; start += 100) {
      await producer.send(
        topic,
        expected.slice(start, start + 100).map((id, i) => ({ key: `k${(start + i) % 13}`, value: id })),
      );
    }
    const config = {
      brokers: infra.kafkaBrokers,
      topic,
      groupId: uniqueName('crash-group'),
      redisUrl: infra.redisUrl,
      prefix,
      batchDelayMs: 50,
      output,
      ...membership,
    };

    const first = await startConsumerProcess(config);
    children.push(first);
    await eventually(
      async () => Number((await redis.get(`${prefix}:deliveries`)) ?? 0),
      (n) => n >= 200,
    );
    await stop(first, 'SIGKILL');
    const deliveredAtKill = await redis.scard(`${prefix}:ids`);

    const second = await startConsumerProcess(config);
    children.push(second);
    // Done = every input offset committed (in transactional mode the Redis writes run ahead of the commit).
    await eventually(
      () => committedOffsets(admin, config.groupId, topic),
      (offsets) =>
        [...offsets.values()].reduce((sum, o) => sum + Math.max(0, Number(o)), 0) === expected.length,
    );
    await stop(second, 'SIGTERM');
    return { expected, prefix, deliveredAtKill };
  }

  it('redelivers to the next process everything the killed one had not committed', async () => {
    const { expected, prefix, deliveredAtKill } = await runKillAndRestart();
    expect(deliveredAtKill).toBeLessThan(expected.length);
    expect((await redis.smembers(`${prefix}:ids`)).sort()).toEqual([...expected].sort());
    expect(Number(await redis.get(`${prefix}:deliveries`))).toBeGreaterThanOrEqual(expected.length);
    await redis.del(`${prefix}:ids`, `${prefix}:deliveries`);
  });

  it('in transactional mode, the output is exactly once for a read-committed consumer', async () => {
    const output = uniqueName('crash-out');
    await ensureTopics(admin, [{ name: output, partitions: 2 }]);
    const { expected, prefix, deliveredAtKill } = await runKillAndRestart({
      topic: output,
      transactionalIdPrefix: uniqueName('crash-tx'),
    });
    expect(deliveredAtKill).toBeLessThan(expected.length);
    const values = await readCommitted(infra.kafkaBrokers, output, expected.length);
    expect(values.sort()).toEqual(expected.map((id) => `out:${id}`).sort());
    await redis.del(`${prefix}:ids`, `${prefix}:deliveries`);
  });

  it('with one transaction per fetch (group scope), the output is exactly once too', async () => {
    const output = uniqueName('crash-out');
    await ensureTopics(admin, [{ name: output, partitions: 2 }]);
    // The restarted process keeps its group instance id, hence its transactional id: connecting,
    // it aborts what the killed one left open, so its own offset read does not wait for the timeout.
    const { expected, prefix, deliveredAtKill } = await runKillAndRestart(
      { topic: output, transactionalIdPrefix: uniqueName('crash-gtx'), scope: 'group' },
      { groupInstanceId: uniqueName('crash-member'), partitionsConsumedConcurrently: 2 },
    );
    expect(deliveredAtKill).toBeLessThan(expected.length);
    const values = await readCommitted(infra.kafkaBrokers, output, expected.length);
    expect(values.sort()).toEqual(expected.map((id) => `out:${id}`).sort());
    await redis.del(`${prefix}:ids`, `${prefix}:deliveries`);
  });
});
