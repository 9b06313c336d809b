import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { testInfra, uniqueName } from '@app/testing';

describe('integration infrastructure (real broker and Redis from the global setup)', () => {
  const infra = testInfra();

  it('answers on Redis with a per-test key prefix', async () => {
    const redis = new Redis(infra.redisUrl);
    const key = `${uniqueName('infra')}:probe`;
    try {
      await redis.set(key, 'ok', 'EX', 60);
      expect(await redis.get(key)).toBe('ok');
    } finally {
      await redis.del(key);
      redis.disconnect();
    }
  });

  it('is a real Kafka broker that creates topics and round-trips a message', async () => {
    const kafka = new Kafka({ brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const topic = uniqueName('infra-topic');
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
      const cluster = await admin.describeCluster();
      expect(cluster.brokers).toHaveLength(1);
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'hello' }] });
      await producer.disconnect();
      const offsets = await admin.fetchTopicOffsets(topic);
      const total = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
      expect(total).toBe(1);
    } finally {
      await admin.disconnect();
    }
  });
});
