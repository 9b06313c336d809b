import { BatchingProducer } from '@app/kafka';
import { RedisClient } from '@app/redis';
import { HashingContentEmbeddingProvider } from '@app/embeddings';
import {
  DEFAULT_EMBEDDING_MODEL_OPTIONS,
  EmbeddingModelOptions,
  EmbeddingModelService,
} from '../embedding-model/embedding-model.service';
import {
  EmbeddingPublisher,
  PUBLISH_BATCH_MESSAGES,
  EmbeddingPublisherTopics,
} from '../publishing/embedding.publisher';
import { UserVectorRepository, userVectorExpiry } from '../publishing/user-vector.repository';
import { DEFAULT_USER_IDLE_TTL_SEC } from '@app/config';
import { DEFAULT_USER_TOPIC_MS } from './embedding-writer.env';
import { EmbeddingWriterService } from './embedding-writer.service';

export interface EmbeddingWriterStackOptions {
  brokers: string[];
  redis: RedisClient;
  topics: EmbeddingPublisherTopics & { deadLetter: string };
  userKeyPrefix: string;
  coalesceMs: number;
  /** The user topic's own coalescing interval, ms (default DEFAULT_USER_TOPIC_MS, as deployed). */
  userTopicMs?: number;
  /** EMBEDDING_USER_VECTOR_TTL_SEC (default DEFAULT_USER_IDLE_TTL_SEC, as deployed; 0 = none). */
  userVectorTtlSec?: number;
  consumerGroup: string;
  model?: Partial<EmbeddingModelOptions>;
}

export interface EmbeddingWriterStack {
  writer: EmbeddingWriterService;
  users: UserVectorRepository;
  producer: BatchingProducer;
  /** Stops the timer, flushes, closes the producer (not the Redis client: the caller owns it). */
  close(): Promise<void>;
}

/**
 * The writer without Nest (hashing content provider, no Qdrant): what the integration tests and
 * the benchmark drive through a real KafkaBatchServer.
 */
export function createEmbeddingWriterStack(options: EmbeddingWriterStackOptions): EmbeddingWriterStack {
  const expiry = userVectorExpiry(options.userVectorTtlSec ?? DEFAULT_USER_IDLE_TTL_SEC);
  const model = new EmbeddingModelService({
    ...DEFAULT_EMBEDDING_MODEL_OPTIONS,
    userRepublishAfterMs: expiry.republishAfterMs,
    ...options.model,
  });
  const producer = new BatchingProducer({
    brokers: options.brokers,
    clientId: `${options.consumerGroup}-publisher`,
    maxBatchMessages: PUBLISH_BATCH_MESSAGES,
  });
  const users = new UserVectorRepository(options.redis, options.userKeyPrefix, expiry.keyTtlSec);
  const publisher = new EmbeddingPublisher(
    producer,
    options.topics,
    users,
    undefined,
    options.userTopicMs ?? DEFAULT_USER_TOPIC_MS,
  );
  const writer = new EmbeddingWriterService(
    model,
    new HashingContentEmbeddingProvider(model.options.dimension),
    publisher,
    producer,
    {
      serviceName: 'embedding-writer',
      coalesceMs: options.coalesceMs,
      deadLetterTopic: options.topics.deadLetter,
      consumerGroup: options.consumerGroup,
    },
  );
  writer.start();
  return {
    writer,
    users,
    producer,
    close: async () => {
      await writer.stop();
      await producer.close();
    },
  };
}
