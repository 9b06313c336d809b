import {
  CONTENT_EMBEDDING_PROVIDER,
  ContentEmbeddingProvider,
  createContentEmbeddingProvider,
  ContentEmbeddingSettings,
} from '@app/embeddings';
import { KafkaConnectionConfig } from '@app/config';
import {
  BatchingProducer,
  EventProducer,
  KafkaBatchServer,
  OFF_PATH_FETCH_MIN_BYTES,
  kafkaConnectionOf,
} from '@app/kafka';
import { REDIS_CLIENT, RedisClient } from '@app/redis';
import { QdrantVectorStore } from '@app/vector-store';
import { ReadinessRegistry, qdrantCheck } from '@app/health';
import {
  DynamicModule,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import {
  DEFAULT_EMBEDDING_MODEL_OPTIONS,
  EmbeddingModelService,
} from '../embedding-model/embedding-model.service';
import {
  EmbeddingPublisher,
  LAST_ENGAGED_AT,
  PUBLISH_BATCH_MESSAGES,
  QdrantTargets,
} from '../publishing/embedding.publisher';
import { UserVectorRepository, userVectorExpiry } from '../publishing/user-vector.repository';
import { embeddingWriterConsumer } from './embedding-writer.consumer';
import { EmbeddingWriterSettings } from './embedding-writer.env';
import { EmbeddingWriterService } from './embedding-writer.service';

/** The part of the app config this feature reads. */
export interface EmbeddingWriterFeatureConfig {
  serviceName: string;
  kafka: Pick<
    KafkaConnectionConfig,
    'clientId' | 'ssl' | 'sasl' | 'groupInstanceId' | 'offsetCommitIntervalMs'
  > & {
    brokers: readonly string[];
  };
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
  content: ContentEmbeddingSettings;
}

/** One-process mode (apps/nowcast): a shared producer and user-vector store instead of Kafka/Redis. */
export interface EmbeddingWriterFeatureOptions {
  /** A producer to share (e.g. the in-process bus); not closed by this module. Default a BatchingProducer. */
  producer?: EventProducer;
  /** Where user vectors go; default the Redis UserVectorRepository (needs REDIS_CLIENT). */
  userVectors?: Pick<UserVectorRepository, 'write'>;
}

const PRODUCER = Symbol('EMBEDDING_WRITER_PRODUCER');
const OWNS_PRODUCER = Symbol('EMBEDDING_WRITER_OWNS_PRODUCER');

/** Starts the coalescing timer at boot; flushes and closes the producer at shutdown (after the consumer stopped). */
@Injectable()
class WriterLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly writer: EmbeddingWriterService,
    @Inject(PRODUCER) private readonly producer: EventProducer,
    @Inject(OWNS_PRODUCER) private readonly ownsProducer: boolean,
  ) {}

  onApplicationBootstrap(): void {
    this.writer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.writer.stop();
    if (this.ownsProducer) await this.producer.close();
    else await this.producer.flush();
  }
}

/** The consumer group of this boot: a fresh one when the model is rebuilt from the topic's beginning. */
export function writerGroupId(settings: EmbeddingWriterSettings, now = Date.now()): string {
  return settings.rebuildOnStart ? `${settings.groupId}-${now}` : settings.groupId;
}

/** The transport main.ts connects (`app.connectMicroservice({ strategy })`): enriched topic, read committed. */
export function embeddingWriterTransport(config: EmbeddingWriterFeatureConfig): KafkaBatchServer {
  return new KafkaBatchServer({
    ...kafkaConnectionOf(config.kafka),
    groupId: writerGroupId(config.writer),
    groupInstanceId: config.kafka.groupInstanceId,
    offsetCommitIntervalMs: config.kafka.offsetCommitIntervalMs,
    fromBeginning: true,
    readCommitted: true,
    // one model, one order: partitions are applied one batch at a time
    partitionsConsumedConcurrently: 1,
    // off the feed's latency path: drifting vectors are coalesced for EMBEDDING_COALESCE_MS anyway,
    // and whether a stream is live the recommender learns from the lifecycle feed
    minBytes: OFF_PATH_FETCH_MIN_BYTES,
    maxWaitTimeMs: 100,
  });
}

function redisUserVectors(
  redis: RedisClient | undefined,
  keyPrefix: string,
  keyTtlSec: number,
): UserVectorRepository {
  if (!redis) throw new Error('user vectors in Redis need RedisModule (REDIS_CLIENT)');
  return new UserVectorRepository(redis, keyPrefix, keyTtlSec);
}

@Module({})
export class EmbeddingWriterFeatureModule {
  static forRoot(
    config: EmbeddingWriterFeatureConfig,
    options: EmbeddingWriterFeatureOptions = {},
  ): DynamicModule {
    const { writer } = config;
    const userExpiry = userVectorExpiry(writer.userVectorTtlSec);
    return {
      module: EmbeddingWriterFeatureModule,
      controllers: [embeddingWriterConsumer(config.topics.names.enriched)],
      providers: [
        {
          provide: CONTENT_EMBEDDING_PROVIDER,
          useFactory: () =>
            createContentEmbeddingProvider({ ...config.content, dimension: writer.dimension }),
        },
        {
          provide: EmbeddingModelService,
          useFactory: () =>
            new EmbeddingModelService({
              ...DEFAULT_EMBEDDING_MODEL_OPTIONS,
              dimension: writer.dimension,
              userHalfLifeMs: writer.userHalfLifeMs,
              userIdleMs: writer.userIdleMs,
              userRepublishAfterMs: userExpiry.republishAfterMs,
              audienceHalfLifeMs: writer.audienceHalfLifeMs,
              publishMinChange: writer.publishMinChange,
              seller: {
                learningRate: writer.learningRate,
                coEngagementWindowMs: writer.coEngagementWindowMs,
              },
            }),
        },
        { provide: OWNS_PRODUCER, useValue: options.producer === undefined },
        {
          provide: PRODUCER,
          useFactory: (): EventProducer =>
            options.producer ??
            new BatchingProducer({
              ...kafkaConnectionOf(config.kafka, 'publisher'),
              maxBatchMessages: PUBLISH_BATCH_MESSAGES,
            }),
        },
        {
          provide: EmbeddingPublisher,
          inject: [PRODUCER, ReadinessRegistry, { token: REDIS_CLIENT, optional: true }],
          useFactory: async (
            producer: EventProducer,
            readiness: ReadinessRegistry,
            redis: RedisClient | undefined,
          ) => {
            let qdrant: QdrantTargets | undefined;
            if (config.qdrant) {
              const common = {
                url: config.qdrant.url,
                apiKey: config.qdrant.apiKey,
                dimension: writer.dimension,
              };
              qdrant = {
                streams: new QdrantVectorStore({ ...common, collection: writer.qdrantCollections.streams }),
                users: new QdrantVectorStore({
                  ...common,
                  collection: writer.qdrantCollections.users,
                  payloadIndexes: [{ field: LAST_ENGAGED_AT, schema: 'integer' }],
                }),
                // Qdrant forgets an idle user's point when Redis' key expires
                userPointTtlMs: userExpiry.forgetAfterMs,
              };
              const streams = qdrant.streams;
              readiness.register(qdrantCheck(() => streams.ping()));
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
              options.userVectors ?? redisUserVectors(redis, writer.userKeyPrefix, userExpiry.keyTtlSec),
              qdrant,
              // resuming from committed offsets has no replay to republish users after a crash:
              // the topic then keeps the Redis cadence (never left behind for good)
              writer.rebuildOnStart ? writer.userTopicMs : 0,
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
            producer: EventProducer,
          ) =>
            new EmbeddingWriterService(model, content, publisher, producer, {
              serviceName: config.serviceName,
              coalesceMs: writer.coalesceMs,
              deadLetterTopic: config.topics.names.deadLetter,
              consumerGroup: writer.groupId,
              // resuming from committed offsets: a batch's tombstones must be out before it commits
              awaitLifecycleFlush: !writer.rebuildOnStart,
            }),
        },
        WriterLifecycle,
      ],
      exports: [EmbeddingWriterService, EmbeddingModelService],
    };
  }
}
