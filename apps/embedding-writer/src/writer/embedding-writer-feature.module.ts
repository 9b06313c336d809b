import { BatchingProducer, KafkaBatchServer } from '@app/kafka';
import { REDIS_CLIENT, RedisClient } from '@app/redis';
import { QdrantVectorStore } from '@app/vector-store';
import {
  DynamicModule,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { createContentEmbeddingProvider } from '../content-embedding/content-embedding.factory';
import {
  CONTENT_EMBEDDING_PROVIDER,
  ContentEmbeddingProvider,
} from '../content-embedding/content-embedding.provider';
import {
  DEFAULT_EMBEDDING_MODEL_OPTIONS,
  EmbeddingModelService,
} from '../embedding-model/embedding-model.service';
import { EmbeddingPublisher, PUBLISH_BATCH_MESSAGES, QdrantTargets } from '../publishing/embedding.publisher';
import { UserVectorRepository } from '../publishing/user-vector.repository';
import { embeddingWriterConsumer } from './embedding-writer.consumer';
import { EmbeddingWriterSettings } from './embedding-writer.env';
import { EmbeddingWriterService } from './embedding-writer.service';

/** The part of the app config this feature reads. */
export interface EmbeddingWriterFeatureConfig {
  serviceName: string;
  kafka: { brokers: readonly string[]; clientId: string; ssl: boolean };
  topics: {
    names: {
      enriched: string;
      embeddingsStreams: string;
      embeddingsUsers: string;
      watermarks: string;
      deadLetter: string;
    };
  };
  qdrant?: { url: string; apiKey?: string };
  writer: EmbeddingWriterSettings;
}

const PRODUCER = Symbol('EMBEDDING_WRITER_PRODUCER');

/** Starts the coalescing timer at boot; flushes and closes the producer at shutdown (after the consumer stopped). */
@Injectable()
class WriterLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly writer: EmbeddingWriterService,
    @Inject(PRODUCER) private readonly producer: BatchingProducer,
  ) {}

  onApplicationBootstrap(): void {
    this.writer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.writer.stop();
    await this.producer.close();
  }
}

/** The consumer group of this boot: a fresh one when the model is rebuilt from the topic's beginning. */
export function writerGroupId(settings: EmbeddingWriterSettings, now = Date.now()): string {
  return settings.rebuildOnStart ? `${settings.groupId}-${now}` : settings.groupId;
}

/** The transport main.ts connects (`app.connectMicroservice({ strategy })`): enriched topic, read committed. */
export function embeddingWriterTransport(config: EmbeddingWriterFeatureConfig): KafkaBatchServer {
  return new KafkaBatchServer({
    brokers: [...config.kafka.brokers],
    clientId: config.kafka.clientId,
    ssl: config.kafka.ssl,
    groupId: writerGroupId(config.writer),
    fromBeginning: true,
    readCommitted: true,
    // one model, one order: partitions are applied one batch at a time
    partitionsConsumedConcurrently: 1,
  });
}

@Module({})
export class EmbeddingWriterFeatureModule {
  static forRoot(config: EmbeddingWriterFeatureConfig): DynamicModule {
    const { writer } = config;
    return {
      module: EmbeddingWriterFeatureModule,
      controllers: [embeddingWriterConsumer(config.topics.names.enriched)],
      providers: [
        {
          provide: CONTENT_EMBEDDING_PROVIDER,
          useFactory: () =>
            createContentEmbeddingProvider(
              writer.contentProvider === 'openai'
                ? { kind: 'openai', dimension: writer.dimension, ...writer.openai }
                : { kind: 'hashing', dimension: writer.dimension },
            ),
        },
        {
          provide: EmbeddingModelService,
          useFactory: () =>
            new EmbeddingModelService({
              ...DEFAULT_EMBEDDING_MODEL_OPTIONS,
              dimension: writer.dimension,
              userHalfLifeMs: writer.userHalfLifeMs,
              audienceHalfLifeMs: writer.audienceHalfLifeMs,
              seller: {
                learningRate: writer.learningRate,
                coEngagementWindowMs: writer.coEngagementWindowMs,
              },
            }),
        },
        {
          provide: PRODUCER,
          useFactory: () =>
            new BatchingProducer({
              brokers: [...config.kafka.brokers],
              clientId: `${config.kafka.clientId}-publisher`,
              ssl: config.kafka.ssl,
              maxBatchMessages: PUBLISH_BATCH_MESSAGES,
            }),
        },
        {
          provide: EmbeddingPublisher,
          inject: [PRODUCER, REDIS_CLIENT],
          useFactory: async (producer: BatchingProducer, redis: RedisClient) => {
            let qdrant: QdrantTargets | undefined;
            if (config.qdrant) {
              const common = {
                url: config.qdrant.url,
                apiKey: config.qdrant.apiKey,
                dimension: writer.dimension,
              };
              qdrant = {
                streams: new QdrantVectorStore({ ...common, collection: writer.qdrantCollections.streams }),
                users: new QdrantVectorStore({ ...common, collection: writer.qdrantCollections.users }),
              };
              await qdrant.streams.ensureCollection();
              await qdrant.users.ensureCollection();
            }
            const names = config.topics.names;
            return new EmbeddingPublisher(
              producer,
              {
                streams: names.embeddingsStreams,
                users: names.embeddingsUsers,
                watermarks: names.watermarks,
              },
              new UserVectorRepository(redis, writer.userKeyPrefix),
              qdrant,
            );
          },
        },
        {
          provide: EmbeddingWriterService,
          inject: [EmbeddingModelService, CONTENT_EMBEDDING_PROVIDER, EmbeddingPublisher, PRODUCER],
          useFactory: (
            model: EmbeddingModelService,
            content: ContentEmbeddingProvider,
            publisher: EmbeddingPublisher,
            producer: BatchingProducer,
          ) =>
            new EmbeddingWriterService(model, content, publisher, producer, {
              serviceName: config.serviceName,
              coalesceMs: writer.coalesceMs,
              deadLetterTopic: config.topics.names.deadLetter,
              consumerGroup: writer.groupId,
            }),
        },
        WriterLifecycle,
      ],
      exports: [EmbeddingWriterService, EmbeddingModelService],
    };
  }
}
