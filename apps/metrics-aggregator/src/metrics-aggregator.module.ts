import { EnvSource, loadConfig } from '@app/config';
import { serviceInfrastructure } from '@app/health';
import { BatchingProducer, kafkaConnectionOf } from '@app/kafka';
import { DynamicModule, Module } from '@nestjs/common';
import { SERVICE_NAME, metricsAggregatorEnvSchema } from './config/metrics-aggregator.config';
import { enrichedEventsTransport } from './stream-metrics/enriched-events.transport';
import { StreamMetricsModule } from './stream-metrics/stream-metrics.module';

/**
 * Root module of metrics-aggregator. `forRoot` validates the environment once (throwing a
 * ConfigValidationError that lists every bad variable) and wires the shared libs and the
 * aggregator's features (StreamMetricsModule) from it.
 */
@Module({})
export class MetricsAggregatorModule {
  static forRoot(env: EnvSource): DynamicModule {
    const config = loadConfig(metricsAggregatorEnvSchema, env);
    const connection = kafkaConnectionOf(config.kafka);
    const names = config.topics.names;
    return {
      module: MetricsAggregatorModule,
      imports: [
        ...serviceInfrastructure(SERVICE_NAME, config),
        StreamMetricsModule.forRoot({
          settings: config.aggregator.settings,
          topics: {
            enriched: names.enriched,
            raw: names.raw,
            deadLetter: names.deadLetter,
            metricsStreams: names.metricsStreams,
            stateFollows: names.stateFollows,
            watermarks: names.watermarks,
          },
          groupId: config.aggregator.groupId,
          source: SERVICE_NAME,
          storage: config.aggregator.storage,
          createTransport: () => enrichedEventsTransport(config),
          // no linger: a change-feed flush sends its records within one tick anyway, and one batch in
          // flight at a time grows the next under load; the 2 ms it waited were on every idle hop
          createProducer: () => new BatchingProducer({ ...connection, lingerMs: 0, maxBatchMessages: 500 }),
        }),
      ],
    };
  }
}
