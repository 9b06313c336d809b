import { apiKeysEnv, commonEnv, ConfigOf, defineEnvSchema, kafkaEnv, redisEnv, topicsEnv } from '@app/config';

export const SERVICE_NAME = 'event-enricher';

/** The environment of event-enricher (HTTP ingress with scoped API keys). */
export const eventEnricherEnvSchema = defineEnvSchema({
  common: commonEnv({ port: 3001, grpcPort: 50052 }),
  kafka: kafkaEnv({ clientId: SERVICE_NAME }),
  redis: redisEnv(),
  topics: topicsEnv(),
  apiKeys: apiKeysEnv(),
});

export type EventEnricherConfig = ConfigOf<typeof eventEnricherEnvSchema>;
