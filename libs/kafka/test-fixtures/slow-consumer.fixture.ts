/**
 * A consumer process for the crash tests: `node -r @swc-node/register slow-consumer.fixture.ts '<json>'`.
 * Handles each batch slowly (so a SIGKILL lands mid-batch), records every message id in Redis
 * (at-least-once side effect) and, when `output` is set, forwards every id to that topic inside the
 * batch's Kafka transaction (exactly-once side effect). Prints "ready" once it joined its group.
 */
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { KafkaBatchServer, requireTransaction } from '@app/kafka';
import { consumerModule, FAST_GROUP } from './kafka-test.helpers';

interface FixtureConfig {
  brokers: string[];
  topic: string;
  groupId: string;
  redisUrl: string;
  /** Redis key prefix: `<prefix>:ids` (set) and `<prefix>:deliveries` (counter). */
  prefix: string;
  /** Time spent in each batch before its effects are written, ms. */
  batchDelayMs: number;
  /** Transactional mode: forward ids to this topic. */
  output?: { topic: string; transactionalIdPrefix: string; scope?: 'partition' | 'group' };
  /** Batches handled at the same time (default 1). */
  partitionsConsumedConcurrently?: number;
  /** Static group membership (KIP-345). */
  groupInstanceId?: string;
  /** Instead of FAST_GROUP's 3 s session (and as the rebalance timeout). */
  sessionTimeoutMs?: number;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '') as FixtureConfig;
  const redis = new Redis(config.redisUrl);
  const module = consumerModule(config.topic, async (batch) => {
    await new Promise((resolve) => setTimeout(resolve, config.batchDelayMs));
    const values = batch.messages.map((m) => m.value?.toString() ?? '');
    if (config.output) {
      requireTransaction(batch).send(
        config.output.topic,
        batch.messages.map((m) => ({ key: m.key, value: `out:${m.value?.toString()}` })),
      );
    }
    const pipeline = redis.pipeline();
    pipeline.sadd(`${config.prefix}:ids`, ...values);
    pipeline.incrby(`${config.prefix}:deliveries`, values.length);
    await pipeline.exec();
  });
  const server = new KafkaBatchServer({
    brokers: config.brokers,
    groupId: config.groupId,
    // Small fetches: many small batches, so the stream takes a while and a kill lands mid-stream.
    maxBytesPerPartition: 1_024,
    ...FAST_GROUP,
    ...(config.sessionTimeoutMs
      ? { sessionTimeoutMs: config.sessionTimeoutMs, rebalanceTimeoutMs: config.sessionTimeoutMs }
      : {}),
    groupInstanceId: config.groupInstanceId,
    partitionsConsumedConcurrently: config.partitionsConsumedConcurrently,
    ...(config.output
      ? {
          transactional: {
            transactionalIdPrefix: config.output.transactionalIdPrefix,
            scope: config.output.scope,
          },
        }
      : {}),
  });
  const app = await NestFactory.createMicroservice(module, { strategy: server, logger: ['error'] });
  app.enableShutdownHooks();
  await app.listen();
  process.stdout.write('ready\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`slow-consumer fixture failed: ${String(error)}\n`);
  process.exit(1);
});
