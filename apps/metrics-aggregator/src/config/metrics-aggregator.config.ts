import { commonEnv, ConfigOf, defineEnvSchema, kafkaEnv, redisEnv, topicsEnv } from '@app/config';

export const SERVICE_NAME = 'metrics-aggregator';

/** The environment of metrics-aggregator (Kafka and Redis only). */
export const metricsAggregatorEnvSchema = defineEnvSchema({
  common: commonEnv({ port: 3002, grpcPort: 50053 }),
  kafka: kafkaEnv({ clientId: SERVICE_NAME }),
  redis: redisEnv(),
  topics: topicsEnv(),
});

export type MetricsAggregatorConfig = ConfigOf<typeof metricsAggregatorEnvSchema>;
