import { contentEmbeddingEnv } from '@app/embeddings';
import { qdrantEnv, commonEnv, ConfigOf, defineEnvSchema, kafkaEnv, redisEnv, topicsEnv } from '@app/config';
import { embeddingWriterEnv } from '../writer/embedding-writer.env';

export const SERVICE_NAME = 'embedding-writer';

/** The environment of embedding-writer (vectors to Redis and, when QDRANT_URL is set, Qdrant). */
export const embeddingWriterEnvSchema = defineEnvSchema({
  common: commonEnv({ port: 3003, grpcPort: 50054 }),
  kafka: kafkaEnv({ clientId: SERVICE_NAME }),
  redis: redisEnv(),
  topics: topicsEnv(),
  qdrant: qdrantEnv(),
  writer: embeddingWriterEnv(),
  content: contentEmbeddingEnv(),
});

export type EmbeddingWriterConfig = ConfigOf<typeof embeddingWriterEnvSchema>;
