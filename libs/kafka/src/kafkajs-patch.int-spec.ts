import { Admin, Consumer, ConsumerGroupJoinEvent, Producer } from 'kafkajs';
import { testInfra, uniqueName } from '@app/testing';
import { eventually, rawKafka } from '../test-fixtures/kafka-test.helpers';

/**
 * The request-saving parts of patches/kafkajs+2.2.4.patch against the real broker: a transaction
 * looks its coordinator up once and the group coordinator is kept across transactions (kafkajs
 * 2.2.4 sent FindCoordinator before AddOffsetsToTxn, TxnOffsetCommit, AddPartitionsToTxn and EndTxn
 * of every transaction), and describeCluster sends
 * one Metadata request for no topic (it was a refresh of every topic's metadata, then a second
 * request for every topic again).
 */
/** A fresh broker creates __consumer_offsets on first use: wait until the group's coordinator answers. */
async function groupCoordinatorReady(admin: Admin, groupId: string, topic: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await admin.fetchOffsets({ groupId, topics: [topic] });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

describe('kafkajs request patch (real broker)', () => {
  const infra = testInfra();
  let admin: Admin;
  let topic: string;

  beforeAll(async () => {
    admin = rawKafka(infra.kafkaBrokers).admin();
    await admin.connect();
    topic = uniqueName('patch-tx');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('looks the coordinators up once across transactions, with the same committed result', async () => {
    const producer: Producer = rawKafka(infra.kafkaBrokers).producer({
      transactionalId: uniqueName('patch-tx-id'),
      idempotent: true,
      maxInFlightRequests: 1,
      retry: { initialRetryTime: 50, retries: 10 },
    });
    const requests: string[] = [];
    producer.on(producer.events.REQUEST, (event) => {
      requests.push(event.payload.apiName);
    });
    const groupId = uniqueName('patch-tx-group');
    await groupCoordinatorReady(admin, groupId, topic);
    await producer.connect();
    try {
      for (let i = 0; i < 5; i += 1) {
        const transaction = await producer.transaction();
        await transaction.send({ topic, messages: [{ key: `k${i}`, value: `v${i}`, partition: i % 2 }] });
        await transaction.sendOffsets({
          consumerGroupId: groupId,
          topics: [{ topic, partitions: [{ partition: 0, offset: String(i + 1) }] }],
        });
        await transaction.commit();
      }
      // an aborted one still ends through the cached coordinator
      const aborted = await producer.transaction();
      await aborted.send({ topic, messages: [{ key: 'k-aborted', value: 'aborted', partition: 0 }] });
      await aborted.abort();
    } finally {
      await producer.disconnect();
    }
    // InitProducerId is retried (with its lookups) while a fresh broker loads its coordinators
    const transactions = requests.slice(requests.lastIndexOf('InitProducerId') + 1);
    const count = (apiName: string) => transactions.filter((name) => name === apiName).length;
    // A request refused (CONCURRENT_TRANSACTIONS right after the previous EndTxn) is retried after
    // a fresh lookup; otherwise: one per transaction (6) and the group's once. Unpatched: 5 x 4 + 2.
    const refused = count('AddPartitionsToTxn') - 6 + (count('AddOffsetsToTxn') - 5);
    expect(count('GroupCoordinator') - refused).toBe(7);
    expect(count('EndTxn')).toBe(6);
    expect(count('TxnOffsetCommit')).toBe(5);
    // stable: EndTxn returns before the coordinator has applied the commit marker (a plain fetch
    // right after it can still answer -1)
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic], requireStable: true });
    expect(committed.partitions.find((p) => p.partition === 0)?.offset).toBe('5');
  });

  it('describeCluster sends one Metadata request that lists no topic', async () => {
    const probe = rawKafka(infra.kafkaBrokers).admin();
    const sizes: number[] = [];
    probe.on(probe.events.REQUEST, (event) => {
      if (event.payload.apiName === 'Metadata') sizes.push(event.payload.size);
    });
    await probe.connect();
    try {
      const first = await probe.describeCluster();
      expect(first.brokers.length).toBeGreaterThan(0);
      const before = sizes.length;
      const again = await probe.describeCluster();
      expect(again).toEqual(first);
      expect(sizes.length - before).toBe(1);
      const noTopic = sizes[before];
      // a request for every topic gets a response that names at least this test's topic
      sizes.length = 0;
      await probe.fetchTopicMetadata();
      expect(Math.max(...sizes)).toBeGreaterThan(noTopic + topic.length);
    } finally {
      await probe.disconnect();
    }
  });
});

/**
 * KIP-447 through the patch (TxnOffsetCommit v3, OffsetFetch v7), against the real broker:
 * - a transaction's offsets carry the consumer group's generation and member id, and the group
 *   coordinator rejects those of a generation or member the group has moved on from (fencing a
 *   zombie that lost its partitions in a rebalance);
 * - OffsetFetch with require_stable answers UNSTABLE_OFFSET_COMMIT (error 88, on the partition) while
 *   a transaction with offsets for the partition is open. admin.fetchOffsets({ requireStable: true })
 *   and the consumer (which always asks for stable offsets) retry it, 50 ms doubling to 1 s for up
 *   to 30 s, and so return the offset the transaction settles on, never the one before it (giving
 *   up after 30 s: kafkajs-patch.spec.ts).
 */
describe('kafkajs KIP-447 patch (real broker)', () => {
  const infra = testInfra();
  let admin: Admin;
  let topic: string;
  const producers: Producer[] = [];
  const consumers: Consumer[] = [];
  const offsetFetchVersions: number[] = [];

  beforeAll(async () => {
    admin = rawKafka(infra.kafkaBrokers).admin();
    admin.on(admin.events.REQUEST, (event) => {
      if (event.payload.apiName === 'OffsetFetch') offsetFetchVersions.push(event.payload.apiVersion);
    });
    await admin.connect();
    topic = uniqueName('kip447');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((consumer) => consumer.disconnect()));
    await Promise.all(producers.splice(0).map((producer) => producer.disconnect()));
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  async function transactionalProducer(): Promise<{ producer: Producer; txnOffsetCommitVersions: number[] }> {
    const producer = rawKafka(infra.kafkaBrokers).producer({
      transactionalId: uniqueName('kip447-tx'),
      idempotent: true,
      maxInFlightRequests: 1,
      retry: { initialRetryTime: 50, retries: 10 },
    });
    const txnOffsetCommitVersions: number[] = [];
    producer.on(producer.events.REQUEST, (event) => {
      if (event.payload.apiName === 'TxnOffsetCommit') txnOffsetCommitVersions.push(event.payload.apiVersion);
    });
    producers.push(producer);
    await producer.connect();
    return { producer, txnOffsetCommitVersions };
  }

  const offsetOf = async (groupId: string, partition: number, requireStable = true) => {
    const [fetched] = await admin.fetchOffsets({ groupId, topics: [topic], requireStable });
    return fetched.partitions.find((p) => p.partition === partition)?.offset;
  };

  it('rejects the offsets of a stale generation or an unknown member; the current ones commit', async () => {
    const groupId = uniqueName('kip447-group');
    await groupCoordinatorReady(admin, groupId, topic);
    const consumer = rawKafka(infra.kafkaBrokers).consumer({
      groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 500,
    });
    consumers.push(consumer);
    const joined = new Promise<ConsumerGroupJoinEvent['payload']>((resolve) => {
      consumer.on(consumer.events.GROUP_JOIN, (event) => resolve(event.payload));
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic] });
    await consumer.run({ eachMessage: () => Promise.resolve() });
    const { generationId, memberId } = await joined;
    expect(generationId).toBeGreaterThanOrEqual(1);
    expect(memberId).toBeTruthy();

    const { producer, txnOffsetCommitVersions } = await transactionalProducer();
    const sendOffsets = async (
      offset: string,
      consumerGroupMetadata: { generationId: number; memberId: string },
    ) => {
      const transaction = await producer.transaction();
      try {
        await transaction.sendOffsets({
          consumerGroupId: groupId,
          topics: [{ topic, partitions: [{ partition: 0, offset }] }],
          consumerGroupMetadata,
        });
      } catch (error) {
        await transaction.abort();
        throw error;
      }
      await transaction.commit();
    };

    // each rejected at once (not retried: one TxnOffsetCommit each), the transaction aborts
    await expect(sendOffsets('3', { generationId: generationId - 1, memberId })).rejects.toMatchObject({
      type: 'ILLEGAL_GENERATION',
    });
    await expect(sendOffsets('3', { generationId: generationId + 1, memberId })).rejects.toMatchObject({
      type: 'ILLEGAL_GENERATION',
    });
    await expect(sendOffsets('3', { generationId, memberId: `${memberId}-stale` })).rejects.toMatchObject({
      type: 'UNKNOWN_MEMBER_ID',
    });
    expect(txnOffsetCommitVersions).toEqual([3, 3, 3]);
    expect(await offsetOf(groupId, 0)).toBe('-1');

    await sendOffsets('7', { generationId, memberId });
    expect(await offsetOf(groupId, 0)).toBe('7');
    expect(offsetFetchVersions.every((version) => version === 7)).toBe(true);
  });

  it('fetchOffsets({ requireStable: true }) waits out an open transaction and returns its offset', async () => {
    const groupId = uniqueName('kip447-stable');
    await groupCoordinatorReady(admin, groupId, topic);
    const { producer } = await transactionalProducer();
    const commitOffsets = async (offset: string) => {
      const transaction = await producer.transaction();
      await transaction.sendOffsets({
        consumerGroupId: groupId,
        topics: [{ topic, partitions: [{ partition: 1, offset }] }],
      });
      return transaction;
    };
    await (await commitOffsets('5')).commit();
    expect(await offsetOf(groupId, 1)).toBe('5');

    const open = await commitOffsets('9');
    // without requireStable: the offset before the transaction, at once
    expect(await offsetOf(groupId, 1, false)).toBe('5');
    const requestsBefore = offsetFetchVersions.length;
    let committedAt = 0;
    const stable = offsetOf(groupId, 1).then((offset) => ({ offset, at: Date.now() }));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    committedAt = Date.now();
    await open.commit();
    const { offset, at } = await stable;
    expect(offset).toBe('9');
    expect(at).toBeGreaterThanOrEqual(committedAt);
    // answered UNSTABLE_OFFSET_COMMIT and retried (50, 100, 200, 400, 800 ms ... within 1.5 s)
    expect(offsetFetchVersions.length - requestsBefore).toBeGreaterThanOrEqual(4);
  });

  /**
   * A transaction holds the offset of message 6 of 10 for a fresh group while a consumer of that
   * group starts; it commits 3 s later. What the consumer received before and after.
   */
  async function consumeWhileOffsetsOpen(requireStableOffsets?: boolean): Promise<{
    beforeCommit: string[];
    received: { offset: string; at: number }[];
    committedAt: number;
    offsetsFrom: (first: number) => string[];
  }> {
    const groupId = uniqueName('kip447-consumer');
    await groupCoordinatorReady(admin, groupId, topic);
    const { producer } = await transactionalProducer();
    const plain = rawKafka(infra.kafkaBrokers).producer();
    producers.push(plain);
    await plain.connect();
    const [{ high }] = (await admin.fetchTopicOffsets(topic)).filter((p) => p.partition === 0);
    await plain.send({
      topic,
      messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: 0 })),
    });
    const offsetsFrom = (first: number) =>
      Array.from({ length: 10 - first }, (_, i) => String(Number(high) + first + i));

    const transaction = await producer.transaction();
    await transaction.sendOffsets({
      consumerGroupId: groupId,
      topics: [{ topic, partitions: [{ partition: 0, offset: offsetsFrom(6)[0] }] }],
    });

    const consumer = rawKafka(infra.kafkaBrokers).consumer({
      groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 500,
      requireStableOffsets,
    });
    consumers.push(consumer);
    const received: { offset: string; at: number }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        if (partition === 0 && BigInt(message.offset) >= BigInt(high)) {
          received.push({ offset: message.offset, at: Date.now() });
        }
        return Promise.resolve();
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const beforeCommit = received.map((m) => m.offset);
    const committedAt = Date.now();
    await transaction.commit();
    return { beforeCommit, received, committedAt, offsetsFrom };
  }

  it('a consumer joining while a transaction holds its offsets waits and starts at the offset it commits', async () => {
    // a read-committed consumer asks for stable offsets by default
    const { beforeCommit, received, committedAt, offsetsFrom } = await consumeWhileOffsetsOpen();
    expect(beforeCommit).toEqual([]);
    await eventually(
      () => received.length,
      (count) => count >= 4,
      30_000,
    );
    expect(received.map((m) => m.offset)).toEqual(offsetsFrom(6));
    expect(received[0].at).toBeGreaterThanOrEqual(committedAt);
  });

  it('with requireStableOffsets: false it reads the offset before the transaction, as kafkajs did', async () => {
    const { beforeCommit, offsetsFrom } = await consumeWhileOffsetsOpen(false);
    // no committed offset yet (-1): from the beginning, at once
    expect(beforeCommit).toEqual(offsetsFrom(0));
  });
});
