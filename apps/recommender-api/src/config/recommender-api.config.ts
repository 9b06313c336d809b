import { contentEmbeddingEnv } from '@app/embeddings';
import {
  apiKeysEnv,
  qdrantEnv,
  commonEnv,
  ConfigOf,
  defineEnvSchema,
  kafkaEnv,
  redisEnv,
  topicsEnv,
} from '@app/config';
import { recommenderEnv } from '../feed/feed.env';
import { httpWorkersEnv } from '../http/http-workers';

export const SERVICE_NAME = 'recommender-api';

/** The environment of recommender-api (feeds over HTTP with scoped API keys, candidates from Redis or Qdrant). */
export const recommenderApiEnvSchema = defineEnvSchema({
  common: commonEnv({ port: 3000, grpcPort: 50051 }),
  kafka: kafkaEnv({ clientId: SERVICE_NAME }),
  redis: redisEnv(),
  topics: topicsEnv(),
  apiKeys: apiKeysEnv(),
  qdrant: qdrantEnv(),
  recommender: recommenderEnv(),
  content: contentEmbeddingEnv(),
  serving: httpWorkersEnv(),
});

export type RecommenderApiConfig = ConfigOf<typeof recommenderApiEnvSchema>;
