import { Admin, Producer } from 'kafkajs';
import { testInfra, uniqueName } from '@app/testing';
import { rawKafka } from '../test-fixtures/kafka-test.helpers';

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
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
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
