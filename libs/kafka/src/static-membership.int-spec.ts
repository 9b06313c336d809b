import { ChildProcess } from 'node:child_process';
import { INestMicroservice } from '@nestjs/common';
import { Redis } from 'ioredis';
import { Admin, Producer } from 'kafkajs';
import { testInfra, uniqueName } from '@app/testing';
import { KafkaBatchServer } from './kafka-batch.server';
import { ensureTopics } from './topic-bootstrap.admin';
import {
  consumerModule,
  eventually,
  ids,
  rawKafka,
  startKafkaApp,
} from '../test-fixtures/kafka-test.helpers';
import { startConsumerProcess, stopConsumerProcess } from '../test-fixtures/consumer-process';

/**
 * Static group membership (KIP-345) through patches/kafkajs+2.2.4.patch, against the real broker:
 * two members of one group, each with its own group instance id, one in a child process. The
 * session is long (20 s) so that waiting it out, which a dynamic member's restart must do before its
 * partitions are served again, cannot pass for an immediate takeover.
 */
const SESSION_MS = 20_000;
const PARTITIONS = 4;

describe('static group membership (real broker)', () => {
  const infra = testInfra();
  let admin: Admin;
  let producer: Producer;
  let redis: Redis;
  const children: ChildProcess[] = [];
  const apps: INestMicroservice[] = [];

  beforeAll(async () => {
    admin = rawKafka(infra.kafkaBrokers).admin();
    await admin.connect();
    producer = rawKafka(infra.kafkaBrokers).producer();
    await producer.connect();
    redis = new Redis(infra.redisUrl);
  });

  afterEach(async () => {
    await Promise.all(children.splice(0).map((child) => stopConsumerProcess(child, 'SIGKILL')));
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  afterAll(async () => {
    await producer.disconnect();
    await admin.disconnect();
    redis.disconnect();
  });

  /** Member "b" in this process, member "a" in a child; resolves once each holds half the partitions. */
  async function twoMembers(): Promise<{
    childConfig: { topic: string; groupId: string };
    memberB: KafkaBatchServer;
    /** Sends ten messages to each partition; resolves once the members handled them all. */
    everyPartitionServed: () => Promise<void>;
  }> {
    const topic = uniqueName('static-in');
    const groupId = uniqueName('static-group');
    const prefix = uniqueName('static');
    await ensureTopics(admin, [{ name: topic, partitions: PARTITIONS }]);
    const seenByB = new Set<string>();
    const { app, server } = await startKafkaApp(
      consumerModule(topic, (batch) => {
        for (const message of batch.messages) seenByB.add(message.value?.toString() ?? '');
        return Promise.resolve();
      }),
      {
        brokers: infra.kafkaBrokers,
        groupId,
        groupInstanceId: 'member-b',
        sessionTimeoutMs: SESSION_MS,
        rebalanceTimeoutMs: SESSION_MS,
        heartbeatIntervalMs: 300,
      },
    );
    apps.push(app);
    const childConfig = {
      brokers: infra.kafkaBrokers,
      topic,
      groupId,
      redisUrl: infra.redisUrl,
      prefix,
      batchDelayMs: 0,
      groupInstanceId: 'member-a',
      sessionTimeoutMs: SESSION_MS,
    };
    children.push(await startConsumerProcess(childConfig));
    await eventually(
      () => assignedCount(server),
      (count) => count === PARTITIONS / 2,
    );
    const everyPartitionServed = async () => {
      const values = ids(PARTITIONS * 10);
      await producer.send({
        topic,
        messages: values.map((value, i) => ({ value, partition: i % PARTITIONS })),
      });
      await eventually(
        async () => {
          const seen = new Set([...seenByB, ...(await redis.smembers(`${prefix}:ids`))]);
          return values.filter((value) => !seen.has(value)).length;
        },
        (missing) => missing === 0,
        SESSION_MS / 2,
      );
    };
    return { childConfig, memberB: server, everyPartitionServed };
  }

  it('a member SIGKILLed and restarted under its id serves its partitions again at once, without a rebalance', async () => {
    const { childConfig, memberB, everyPartitionServed } = await twoMembers();
    const statuses: string[] = [];
    const subscription = memberB.status.subscribe((status) => statuses.push(status));

    await stopConsumerProcess(children[0], 'SIGKILL');
    const restartedAt = Date.now();
    children.push(await startConsumerProcess(childConfig));
    const joinedMs = Date.now() - restartedAt;
    await everyPartitionServed();
    const servedMs = Date.now() - restartedAt;
    subscription.unsubscribe();

    expect(joinedMs).toBeLessThan(SESSION_MS / 2);
    expect(servedMs).toBeLessThan(SESSION_MS / 2);
    // the other member went on untouched: no rebalance, the same two partitions
    expect(statuses).not.toContain('rebalancing');
    expect(assignedCount(memberB)).toBe(PARTITIONS / 2);
  }, 90_000);

  it('a member that stops gracefully leaves at once: the other takes every partition', async () => {
    const { memberB, everyPartitionServed } = await twoMembers();

    const stoppedAt = Date.now();
    await stopConsumerProcess(children[0], 'SIGTERM');
    await eventually(
      () => assignedCount(memberB),
      (count) => count === PARTITIONS,
      SESSION_MS / 2,
    );
    await everyPartitionServed();
    expect(Date.now() - stoppedAt).toBeLessThan(SESSION_MS / 2);
  }, 90_000);

  it('a member fenced by another process under its id joins again by itself once that process is gone', async () => {
    const { childConfig, memberB, everyPartitionServed } = await twoMembers();
    const statuses: string[] = [];
    const subscription = memberB.status.subscribe((status) => statuses.push(status));

    // a second process under "member-b" (a misconfiguration): the coordinator fences the first one
    const duplicate = await startKafkaApp(
      consumerModule(childConfig.topic, () => Promise.resolve()),
      {
        brokers: infra.kafkaBrokers,
        groupId: childConfig.groupId,
        groupInstanceId: 'member-b',
        sessionTimeoutMs: SESSION_MS,
        rebalanceTimeoutMs: SESSION_MS,
        heartbeatIntervalMs: 300,
      },
      false,
    );
    apps.push(duplicate.app);
    await eventually(
      () => memberB.health().crashed,
      (crashed) => crashed,
      SESSION_MS / 2,
    );
    await duplicate.app.close();
    apps.splice(apps.indexOf(duplicate.app), 1);

    // kafkajs does not restart a fenced consumer; the server starts a new one
    await eventually(
      () => assignedCount(memberB),
      (count) => count === PARTITIONS / 2 && memberB.health().joined,
      SESSION_MS,
    );
    await everyPartitionServed();
    subscription.unsubscribe();
    expect(statuses).toContain('crashed');
    expect(memberB.health().crashed).toBe(false);
  }, 90_000);
});

function assignedCount(server: KafkaBatchServer): number {
  return server.health().assigned.reduce((sum, { partitions }) => sum + partitions.length, 0);
}
