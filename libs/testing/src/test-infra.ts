import { randomUUID } from 'node:crypto';

/** Where the integration tests' own Kafka broker and Redis listen (started by test/global-setup.ts). */
export interface TestInfra {
  kafkaBrokers: string[];
  redisUrl: string;
}

export function testInfra(): TestInfra {
  const brokers = process.env.TEST_KAFKA_BROKERS;
  const redisUrl = process.env.TEST_REDIS_URL;
  if (!brokers || !redisUrl) {
    throw new Error(
      'TEST_KAFKA_BROKERS / TEST_REDIS_URL are not set: run integration tests through `npm run test:int`, ' +
        'whose global setup starts a broker and Redis.',
    );
  }
  return { kafkaBrokers: brokers.split(','), redisUrl };
}

/** A name no other test uses: for topics, consumer groups and Redis key prefixes. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
