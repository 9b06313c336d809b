import { aggregatorEnv } from '../../apps/metrics-aggregator/src/aggregation/aggregator.env';
import { rebuildAggregatorState } from '../../apps/metrics-aggregator/src/runtime/rebuild-aggregator';
import { defineEnvSchema, loadConfig } from '@app/config';
import { rebuildBaseEnv, withRebuildRedis } from './rebuild-context';

/**
 * `npm run rebuild -- aggregator`: the aggregator's Redis state (the `agg:` keys under
 * REDIS_KEY_PREFIX) from Kafka, with the same environment as the service. Stop the service first.
 */
export async function rebuildAggregator(env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadConfig(defineEnvSchema({ ...rebuildBaseEnv(), aggregator: aggregatorEnv() }), env);
  await withRebuildRedis(config.redis, async (redis) => {
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
  });
}
