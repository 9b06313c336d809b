/**
 * The aggregator in a child process for the crash tests:
 * `node -r @swc-node/register aggregator-child.fixture.ts '<json>'`. Prints "ready" once consuming.
 */
import { Redis } from 'ioredis';
import { startStandaloneAggregator } from '../runtime/standalone-aggregator';
import type { AggregatorChildConfig } from './int-helpers';

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '') as AggregatorChildConfig;
  const redis = new Redis(config.redisUrl, { keyPrefix: config.keyPrefix });
  let handled = 0;
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
    // onBatch runs in the handler's continuation, before the feed's flush timer can fire
    onBatch: () => {
      if (config.killAfterBatches !== undefined && ++handled >= config.killAfterBatches) {
        process.kill(process.pid, 'SIGKILL');
      }
    },
  });
  process.stdout.write('ready\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
