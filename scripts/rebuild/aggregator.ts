import { defineEnvSchema, kafkaEnv, loadConfig, redisEnv, topicsEnv } from '@app/config';
import { createRedisClient } from '@app/redis';
import { Logger } from '@nestjs/common';
import { aggregatorEnv } from '../../apps/metrics-aggregator/src/aggregation/aggregator.env';
import { rebuildAggregatorState } from '../../apps/metrics-aggregator/src/runtime/rebuild-aggregator';

/**
 * `npm run rebuild -- aggregator`: the aggregator's Redis state (the `agg:` keys under
 * REDIS_KEY_PREFIX) from Kafka, with the same environment as the service. Stop the service first.
 */
export async function rebuildAggregator(env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadConfig(
    defineEnvSchema({
      kafka: kafkaEnv({ clientId: 'nowcast-rebuild' }),
      redis: redisEnv(),
      topics: topicsEnv(),
      aggregator: aggregatorEnv(),
    }),
    env,
  );
  const redis = createRedisClient(
    { ...config.redis, connectionName: 'nowcast-rebuild' },
    new Logger('Redis'),
  );
  try {
    await redis.ping();
    const names = config.topics.names;
    const result = await rebuildAggregatorState({
      brokers: [...config.kafka.brokers],
      security: { ssl: config.kafka.ssl, sasl: config.kafka.sasl },
      redis,
      topics: {
        enriched: names.enriched,
        raw: names.raw,
        deadLetter: names.deadLetter,
        metricsStreams: names.metricsStreams,
        stateFollows: names.stateFollows,
        watermarks: names.watermarks,
      },
      settings: config.aggregator.settings,
      groupIdBase: config.aggregator.groupId,
      log: (line) => console.log(`aggregator rebuild: ${line}`),
    });
    console.log(
      `aggregator state rebuilt from ${names.stateFollows} + ${names.enriched}: ${result.deletedKeys} keys deleted, ` +
        `${result.restoredFollows} follows restored, ${result.replayedEvents} events replayed, ${result.durationMs} ms`,
    );
  } finally {
    redis.disconnect();
  }
}
