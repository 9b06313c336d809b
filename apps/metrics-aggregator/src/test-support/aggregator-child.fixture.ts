/**
 * The aggregator in a child process for the crash tests:
 * `node -r @swc-node/register aggregator-child.fixture.ts '<json>'`. Prints "ready" once consuming.
 */
import { Redis } from 'ioredis';
import { AggregatorTopics } from '../aggregation/aggregator-topics';
import { AggregatorSettings } from '../aggregation/aggregator.settings';
import { startStandaloneAggregator } from '../runtime/standalone-aggregator';

interface ChildConfig {
  brokers: string[];
  redisUrl: string;
  keyPrefix: string;
  topics: AggregatorTopics;
  groupId: string;
  settings: AggregatorSettings;
  batchDelayMs: number;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '') as ChildConfig;
  const redis = new Redis(config.redisUrl, { keyPrefix: config.keyPrefix });
  await startStandaloneAggregator({
    brokers: config.brokers,
    redis,
    topics: config.topics,
    groupId: config.groupId,
    settings: config.settings,
    sweeper: false,
    batchDelayMs: config.batchDelayMs,
    maxBytesPerPartition: 16 * 1024,
    sessionTimeoutMs: 6_000,
  });
  process.stdout.write('ready\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
