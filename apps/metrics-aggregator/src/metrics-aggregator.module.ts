import { EnvSource, loadConfig } from '@app/config';
import { serviceInfrastructure } from '@app/health';
import { BatchingProducer, KafkaBatchServer, OFF_PATH_FETCH_MIN_BYTES } from '@app/kafka';
import { DynamicModule, Module } from '@nestjs/common';
import { SERVICE_NAME, metricsAggregatorEnvSchema } from './config/metrics-aggregator.config';
import { StreamMetricsModule } from './stream-metrics/stream-metrics.module';
import {
  ENRICHED_FETCH_BYTES_PER_PARTITION,
  ENRICHED_FETCH_MAX_BYTES,
  ENRICHED_PARTITIONS_CONSUMED_CONCURRENTLY,
} from './aggregation/aggregator.settings';

/**
 * Root module of metrics-aggregator. `forRoot` validates the environment once (throwing a
 * ConfigValidationError that lists every bad variable) and wires the shared libs and the
 * aggregator's features (StreamMetricsModule) from it.
 */
@Module({})
export class MetricsAggregatorModule {
  static forRoot(env: EnvSource): DynamicModule {
    const config = loadConfig(metricsAggregatorEnvSchema, env);
    const connection = {
      brokers: [...config.kafka.brokers],
      clientId: config.kafka.clientId,
      ssl: config.kafka.ssl,
      sasl: config.kafka.sasl,
    };
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
          // read committed: the enricher writes in transactions; batches of several partitions overlap
          // (one folds while Redis runs another's script)
          createTransport: () =>
            new KafkaBatchServer({
              ...connection,
              groupId: config.aggregator.groupId,
              groupInstanceId: config.kafka.groupInstanceId,
              offsetCommitIntervalMs: config.kafka.offsetCommitIntervalMs,
              readCommitted: true,
              maxWaitTimeMs: 100,
              // off the feed's latency path (starts and ends reach it through the lifecycle feed)
              minBytes: OFF_PATH_FETCH_MIN_BYTES,
              partitionsConsumedConcurrently: ENRICHED_PARTITIONS_CONSUMED_CONCURRENTLY,
              maxBytesPerPartition: ENRICHED_FETCH_BYTES_PER_PARTITION,
              maxBytes: ENRICHED_FETCH_MAX_BYTES,
            }),
          // no linger: a change-feed flush sends its records within one tick anyway, and one batch in
          // flight at a time grows the next under load; the 2 ms it waited were on every idle hop
          createProducer: () => new BatchingProducer({ ...connection, lingerMs: 0, maxBatchMessages: 500 }),
        }),
      ],
    };
  }
}
