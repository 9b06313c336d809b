import { Admin, ConfigResourceTypes } from 'kafkajs';
import { testInfra, uniqueName } from '@app/testing';
import { BatchingProducer } from './batching.producer';
import { ensureTopics } from './topic-bootstrap.admin';
import { rawKafka } from '../test-fixtures/kafka-test.helpers';

describe('ensureTopics and BatchingProducer against Kafka 4.x', () => {
  const infra = testInfra();
  let admin: Admin;

  beforeAll(async () => {
    admin = rawKafka(infra.kafkaBrokers).admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin.disconnect();
  });

  async function topicConfig(name: string): Promise<Map<string, string>> {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name }],
    });
    return new Map(resources[0].configEntries.map((e) => [e.configName, e.configValue]));
  }

  it('creates missing topics once and leaves existing ones alone', async () => {
    const events = uniqueName('boot-events');
    const feed = uniqueName('boot-feed');
    const specs = [
      { name: events, partitions: 3 },
      { name: feed, partitions: 2, compacted: true, configs: { 'min.cleanable.dirty.ratio': '0.1' } },
    ];
    const first = await ensureTopics({ brokers: infra.kafkaBrokers }, specs);
    expect(first).toEqual({
      created: [events, feed],
      existing: [],
      mismatched: [],
      reconfigured: [],
      configErrors: [],
    });

    const second = await ensureTopics(admin, specs);
    expect(second).toEqual({
      created: [],
      existing: [events, feed],
      mismatched: [],
      reconfigured: [],
      configErrors: [],
    });

    const metadata = await admin.fetchTopicMetadata({ topics: [events, feed] });
    expect(metadata.topics.map((t) => [t.name, t.partitions.length]).sort()).toEqual(
      [
        [events, 3],
        [feed, 2],
      ].sort(),
    );
    const config = await topicConfig(feed);
    expect(config.get('cleanup.policy')).toBe('compact');
    expect(config.get('min.cleanable.dirty.ratio')).toBe('0.1');
  });

  it("brings an existing topic's configs to the spec's, keeping the overrides the spec does not name", async () => {
    const name = uniqueName('boot-reconfigure');
    // as an earlier release created it, then an operator's override
    await ensureTopics(admin, [
      { name, partitions: 2, compacted: true, configs: { 'max.message.bytes': '2097152' } },
    ]);
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name,
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'max.message.bytes', value: '2097152' },
            { name: 'min.cleanable.dirty.ratio', value: '0.2' },
          ],
        },
      ],
    });
    const release = {
      name,
      partitions: 2,
      compacted: true,
      configs: {
        'cleanup.policy': 'compact,delete',
        'retention.ms': '259200000',
        'max.message.bytes': '2097152',
      },
    };

    const result = await ensureTopics(admin, [release]);

    expect(result.reconfigured).toEqual([
      {
        name,
        changes: {
          'cleanup.policy': { from: 'compact', to: 'compact,delete' },
          'retention.ms': { from: '604800000', to: '259200000' },
        },
      },
    ]);
    const config = await topicConfig(name);
    expect(config.get('cleanup.policy')).toBe('compact,delete');
    expect(config.get('retention.ms')).toBe('259200000');
    expect(config.get('max.message.bytes')).toBe('2097152');
    expect(config.get('min.cleanable.dirty.ratio')).toBe('0.2');
    expect((await ensureTopics(admin, [release])).reconfigured).toEqual([]);
  });

  it('reports a config the broker refuses, leaves that topic as it was and sets the others', async () => {
    const refused = uniqueName('boot-refused');
    const fine = uniqueName('boot-fine');
    await ensureTopics(admin, [
      { name: refused, partitions: 1, configs: { 'max.message.bytes': '2097152' } },
      { name: fine, partitions: 1 },
    ]);

    const result = await ensureTopics(admin, [
      {
        name: refused,
        partitions: 1,
        configs: { 'max.message.bytes': '2097152', 'cleanup.policy': 'shred' },
      },
      { name: fine, partitions: 1, configs: { 'retention.ms': '86400000' } },
    ]);

    expect(result.configErrors).toEqual([
      { name: refused, message: 'cannot set cleanup.policy delete -> shred: Configuration is invalid' },
    ]);
    expect(result.reconfigured).toEqual([
      { name: fine, changes: { 'retention.ms': { from: '604800000', to: '86400000' } } },
    ]);
    const config = await topicConfig(refused);
    expect(config.get('cleanup.policy')).toBe('delete');
    expect(config.get('max.message.bytes')).toBe('2097152');
  });

  it('reports an existing topic whose partition count differs, without changing it', async () => {
    const name = uniqueName('boot-mismatch');
    await ensureTopics(admin, [{ name, partitions: 2 }]);
    const result = await ensureTopics(admin, [{ name, partitions: 4 }]);
    expect(result.mismatched).toEqual([{ name, expectedPartitions: 4, actualPartitions: 2 }]);
    expect((await admin.fetchTopicMetadata({ topics: [name] })).topics[0].partitions).toHaveLength(2);
  });

  it('produces with linger batching: keyed messages land on one partition, in order, acknowledged', async () => {
    const topic = uniqueName('boot-produce');
    await ensureTopics(admin, [{ name: topic, partitions: 3 }]);
    const producer = new BatchingProducer({ brokers: infra.kafkaBrokers, lingerMs: 5 });
    try {
      await producer.connect();
      const kafkaProducer = producer.unwrap();
      let produceRequests = 0;
      kafkaProducer.on(kafkaProducer.events.REQUEST, ({ payload }) => {
        if (payload.apiName === 'Produce') produceRequests += 1;
      });
      // Concurrent sends within the linger window share sendBatch requests; each resolves once acknowledged.
      await Promise.all(
        Array.from({ length: 300 }, (_, i) => producer.send(topic, [{ key: `k${i % 3}`, value: String(i) }])),
      );
      const offsets = await admin.fetchTopicOffsets(topic);
      expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(300);
      expect(produceRequests).toBeGreaterThan(0);
      expect(produceRequests).toBeLessThan(30);

      // Read the log back: each key lives in exactly one partition, in send order.
      const consumer = rawKafka(infra.kafkaBrokers).consumer({
        groupId: uniqueName('boot-reader'),
        maxWaitTimeInMs: 50,
      });
      const byKey = new Map<string, { partitions: Set<number>; values: number[] }>();
      let seen = 0;
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const done = new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: ({ partition, message }) => {
            const key = message.key?.toString() ?? '';
            const entry = byKey.get(key) ?? { partitions: new Set<number>(), values: [] };
            entry.partitions.add(partition);
            entry.values.push(Number(message.value?.toString()));
            byKey.set(key, entry);
            if (++seen === 300) resolve();
            return Promise.resolve();
          },
        });
      });
      await done;
      await consumer.disconnect();
      for (const [key, { partitions, values }] of byKey) {
        const k = Number(key.slice(1));
        expect(partitions.size).toBe(1);
        expect(values).toEqual(Array.from({ length: 100 }, (_, i) => i * 3 + k));
      }
    } finally {
      await producer.close();
    }
  });
});
