import { enricherEnv } from '../../apps/event-enricher/src/enrichment/enricher.env';
import { rebuildEntityCache } from '../../apps/event-enricher/src/entity-cache/entity-cache.rebuild';
import { RedisEnricherStateRepository } from '../../apps/event-enricher/src/enricher-state/redis-enricher-state.repository';
import { defineEnvSchema, loadConfig } from '@app/config';
import { rebuildBaseEnv, withRebuildRedis } from './rebuild-context';

/** `npm run rebuild -- enricher`: the enricher's entity cache from the raw topic (same env as the service). */
export async function rebuildEnricher(env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadConfig(defineEnvSchema({ ...rebuildBaseEnv(), enricher: enricherEnv() }), env);
  await withRebuildRedis(config.redis, async (redis) => {
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
  });
}
