import { defineEnvSchema, kafkaEnv, loadConfig, redisEnv, topicsEnv } from '@app/config';
import { createRedisClient } from '@app/redis';
import { Logger } from '@nestjs/common';
import { enricherEnv } from '../../apps/event-enricher/src/enrichment/enricher.env';
import { rebuildEntityCache } from '../../apps/event-enricher/src/entity-cache/entity-cache.rebuild';
import { RedisEnricherStateRepository } from '../../apps/event-enricher/src/enricher-state/redis-enricher-state.repository';

/** `npm run rebuild -- enricher`: the enricher's entity cache from the raw topic (same env as the service). */
export async function rebuildEnricher(env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadConfig(
    defineEnvSchema({
      kafka: kafkaEnv({ clientId: 'nowcast-rebuild' }),
      redis: redisEnv(),
      topics: topicsEnv(),
      enricher: enricherEnv(),
    }),
    env,
  );
  const redis = createRedisClient(
    { ...config.redis, connectionName: 'nowcast-rebuild' },
    new Logger('Redis'),
  );
  try {
    await redis.ping();
    const started = Date.now();
    const result = await rebuildEntityCache(
      {
        ...config.kafka,
        brokers: [...config.kafka.brokers],
        rawTopic: config.topics.names.raw,
        maxEventBytes: config.enricher.maxEventBytes,
      },
      new RedisEnricherStateRepository(redis, { timeoutMs: config.enricher.redisTimeoutMs }),
    );
    console.log(
      `enricher entity cache rebuilt from ${config.topics.names.raw}: ${result.messages} messages read, ` +
        `${result.applied} state events applied, ${result.skippedPoison} poison skipped, ${Date.now() - started} ms`,
    );
    console.log(
      'note: dedupe marks cannot be rebuilt; client retries of events sent before the loss are not ' +
        'recognised as duplicates until the dedupe window has passed.',
    );
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}
