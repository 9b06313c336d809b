import { INestMicroservice } from '@nestjs/common';
import { Admin, EachBatchPayload } from 'kafkajs';
import { testInfra, uniqueName } from '@app/testing';
import { KafkaBatch } from './batch.types';
import { BatchingProducer } from './batching.producer';
import { requireTransaction } from './batch-transaction.guard';
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

/** The kafkajs error type, also when it is the cause of the batch's error. */
function errorType(error: unknown): string | undefined {
  const { type, cause } = error as { type?: string; cause?: unknown };
  return type ?? (cause === undefined ? undefined : errorType(cause));
}

/** Every value on `topic`, read from the start with the given isolation level. */
async function readAll(
  brokers: string[],
  topic: string,
  readCommitted: boolean,
  expectAtLeast: number,
): Promise<string[]> {
  const consumer = rawKafka(brokers).consumer({
    groupId: uniqueName('tx-reader'),
    readUncommitted: !readCommitted,
    maxWaitTimeInMs: 50,
  });
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
  // Linger a few fetch cycles so that anything beyond the expectation (duplicates) shows up too.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  await consumer.disconnect();
  return values;
}

/** How a stalled previous owner's late commit is refused, by transaction scope. */
const FENCED_ERRORS = {
  // Kafka answers the fenced epoch with INVALID_PRODUCER_EPOCH (kafkajs speaks pre-KIP-360 versions).
  partition: ['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED'],
  // The group moved on without it: its offsets carry a generation or member id the group no longer has.
  group: ['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID', 'REBALANCE_IN_PROGRESS'],
} as const;

describe.each(['partition', 'group'] as const)('transactional read-process-write, %s scope', (scope) => {
  const infra = testInfra();
  let admin: Admin;
  let producer: BatchingProducer;
  const apps: INestMicroservice[] = [];

  beforeAll(async () => {
    admin = rawKafka(infra.kafkaBrokers).admin();
    await admin.connect();
    producer = new BatchingProducer({ brokers: infra.kafkaBrokers });
  });

  afterAll(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await producer.close();
    await admin.disconnect();
  });

  it('is seen exactly once by a read-committed consumer, also after an aborted batch', async () => {
    const input = uniqueName('tx-in');
    const output = uniqueName('tx-out');
    const groupId = uniqueName('tx-group');
    await ensureTopics(admin, [
      { name: input, partitions: 2 },
      { name: output, partitions: 2 },
    ]);
    const expected = ids(400);
    await producer.send(
      input,
      expected.map((id, i) => ({ key: `k${i % 11}`, value: id })),
    );

    // The first batch of each partition sends all its outputs (some reach the broker: chunks of 10),
    // then fails: its transaction must abort and the batch be redelivered (in group scope with the
    // batches that shared its transaction).
    const failedOnce = new Set<number>();
    let sent = 0;
    const module = consumerModule(input, (batch) => {
      const transaction = requireTransaction(batch);
      sent += batch.messages.length;
      for (const message of batch.messages) {
        transaction.send(output, [{ key: message.key, value: `out:${message.value?.toString()}` }]);
      }
      if (!failedOnce.has(batch.partition)) {
        failedOnce.add(batch.partition);
        return new Promise((_, reject) => setTimeout(() => reject(new Error('crash after sending')), 100));
      }
      return Promise.resolve();
    });
    const { app, server } = await startKafkaApp(
      module,
      {
        brokers: infra.kafkaBrokers,
        groupId,
        transactional: { scope, transactionalIdPrefix: uniqueName('tx'), maxBufferedMessages: 10 },
        partitionsConsumedConcurrently: 2,
        ...FAST_GROUP,
      },
      false,
    );
    apps.push(app);

    // The transactions committed the input offsets (sendOffsets), not the consumer.
    await eventually(
      () => committedOffsets(admin, groupId, input),
      (offsets) => [...offsets.values()].reduce((sum, o) => sum + Number(o), 0) === expected.length,
    );
    expect(failedOnce).toEqual(new Set([0, 1]));
    // The broker shows the commit before this process has handled the commit's response.
    await eventually(
      () => server.health().failing,
      (failing) => failing.length === 0,
      15_000,
    );

    const committed = await readAll(infra.kafkaBrokers, output, true, expected.length);
    expect(committed.sort()).toEqual(expected.map((id) => `out:${id}`).sort());

    // The aborted sends did reach the log: a read-uncommitted consumer sees them as extra copies.
    const uncommitted = await readAll(infra.kafkaBrokers, output, false, expected.length + 10);
    expect(uncommitted.length).toBeGreaterThanOrEqual(expected.length + 10);
    expect(uncommitted.length).toBeLessThanOrEqual(sent);
  });

  it('fences a stalled previous owner: its late commit fails and the output stays exactly once', async () => {
    const input = uniqueName('tx-zombie-in');
    const output = uniqueName('tx-zombie-out');
    const groupId = uniqueName('tx-zombie');
    const transactional = { scope, transactionalIdPrefix: uniqueName('tx-zombie') };
    await ensureTopics(admin, [
      { name: input, partitions: 1 },
      { name: output, partitions: 1 },
    ]);
    const expected = ids(100);
    await producer.send(
      input,
      expected.map((id) => ({ key: null, value: id })),
    );
    const forward = (batch: KafkaBatch): void =>
      requireTransaction(batch).send(
        output,
        batch.messages.map((m) => ({ key: null, value: `out:${m.value?.toString()}` })),
      );

    // A takes the first batch, sends its output into its transaction, then stalls past the rebalance timeout.
    let releaseZombie: () => void = () => undefined;
    const zombieReleased = new Promise<void>((resolveRelease) => (releaseZombie = resolveRelease));
    let zombieStalled = false;
    let zombieBatches = 0;
    const zombie = await startKafkaApp(
      consumerModule(input, async (batch) => {
        zombieBatches += 1;
        forward(batch);
        if (zombieBatches === 1) {
          zombieStalled = true;
          await zombieReleased;
        }
      }),
      { brokers: infra.kafkaBrokers, groupId, transactional, ...FAST_GROUP },
      false,
    );
    apps.push(zombie.app);
    const zombieErrors: unknown[] = [];
    zombie.server.observe({ onError: (error) => zombieErrors.push(error) });
    await eventually(
      () => zombieStalled,
      (stalled) => stalled,
    );

    // B joins; the group evicts the stalled A after its rebalance timeout and B processes everything.
    const successor = await startKafkaApp(
      consumerModule(input, (batch) => {
        forward(batch);
        return Promise.resolve();
      }),
      { brokers: infra.kafkaBrokers, groupId, transactional, ...FAST_GROUP },
      false,
    );
    apps.push(successor.app);
    await eventually(
      () => committedOffsets(admin, groupId, input),
      (offsets) => offsets.get(0) === String(expected.length),
    );

    // A wakes up and tries to commit its stale transaction: fenced, so it must not reach the output.
    releaseZombie();
    const [fenced] = await eventually(
      () => zombieErrors,
      (errors) => errors.length > 0,
    );
    expect(FENCED_ERRORS[scope]).toContain(errorType(fenced));
    const values = await readAll(infra.kafkaBrokers, output, true, expected.length);
    expect(values.sort()).toEqual(expected.map((id) => `out:${id}`).sort());
    expect((await committedOffsets(admin, groupId, input)).get(0)).toBe(String(expected.length));
  });
});
