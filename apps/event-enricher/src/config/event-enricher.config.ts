import { apiKeysEnv, commonEnv, ConfigOf, defineEnvSchema, kafkaEnv, redisEnv, topicsEnv } from '@app/config';
import { enricherEnv } from '../enrichment/enricher.env';
import { ingressEnv } from '../ingress/ingress.env';

export const SERVICE_NAME = 'event-enricher';

/** The environment of event-enricher (raw-topic consumer + HTTP ingress with scoped API keys). */
export const eventEnricherEnvSchema = defineEnvSchema({
  common: commonEnv({ port: 3001, grpcPort: 50052 }),
  kafka: kafkaEnv({ clientId: SERVICE_NAME }),
  redis: redisEnv(),
  topics: topicsEnv(),
  apiKeys: apiKeysEnv(),
  enricher: enricherEnv(),
  ingress: ingressEnv(),
});

export type EventEnricherConfig = ConfigOf<typeof eventEnricherEnvSchema>;
