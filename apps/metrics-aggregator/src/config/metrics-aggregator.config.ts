import { commonEnv, ConfigOf, defineEnvSchema, kafkaEnv, redisEnv, topicsEnv } from '@app/config';
import { aggregatorEnv } from '../aggregation/aggregator.env';

export const SERVICE_NAME = 'metrics-aggregator';

/** The environment of metrics-aggregator (Kafka, Redis and the aggregator's own settings). */
export const metricsAggregatorEnvSchema = defineEnvSchema({
  common: commonEnv({ port: 3002, grpcPort: 50053 }),
  kafka: kafkaEnv({ clientId: SERVICE_NAME }),
  redis: redisEnv(),
  topics: topicsEnv(),
  aggregator: aggregatorEnv(),
});

export type MetricsAggregatorConfig = ConfigOf<typeof metricsAggregatorEnvSchema>;
