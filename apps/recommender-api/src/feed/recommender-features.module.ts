import { ApiAuthModule } from '@app/api-auth';
import { ReadinessRegistry, qdrantCheck } from '@app/health';
import { BatchingProducer, CompactedTopicReader, EventProducer, kafkaConnectionOf } from '@app/kafka';
import { REDIS_CLIENT, RedisClient } from '@app/redis';
import {
  InProcessVectorStore,
  InProcessVectorStoreOptions,
  QdrantVectorStore,
  StreamReplica,
} from '@app/vector-store';
import { DynamicModule, Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { CandidateService } from '../candidates/candidate.service';
import { STREAM_INDEX, StreamIndex } from '../candidates/stream-index';
import { registerStreamIndexMetrics } from '../candidates/stream-index.metrics';
import { ChangeFeedsLifecycle } from '../change-feeds/change-feeds.lifecycle';
import { RecommenderApiConfig, SERVICE_NAME } from '../config/recommender-api.config';
import { RecommenderSettings } from './feed.env';
import { ERASURE_SERVICE, ErasureController } from '../erasure/erasure.controller';
import { ErasureService } from '../erasure/erasure.service';
import { OwnedProducer } from '../erasure/owned.producer';
import { WatermarkTracker } from '../freshness/watermark.tracker';
import { LiveMetricsCache } from '../live-metrics/live-metrics.cache';
import { rankingProfile } from '../ranking/ranking-profiles';
import { RankingService } from '../ranking/ranking.service';
import { contentQueryEmbedder } from '../streams/content-query.embedder';
import { STREAMS_SERVICE, StreamsController } from '../streams/streams.controller';
import { QUERY_EMBEDDER, QueryEmbedder, StreamsService } from '../streams/streams.service';
import { RedisUserStateRepository } from '../user-state/redis-user-state.repository';
import { UserStateRepository } from '../user-state/user-state.repository';
import { FEED_SERVICE, FeedController } from './feed.controller';
import { FeedService } from './feed.service';

/** Namespace of the aggregator's keys (docs/key-layout.md). */
export const AGGREGATOR_NAMESPACE = 'agg:';
const WATERMARK_SOURCES = ['metrics-aggregator', 'embedding-writer'];
const PRODUCER = Symbol('RECOMMENDER_PRODUCER');

export interface RecommenderFeaturesOptions {
  config: RecommenderApiConfig;
  /** Benchmarks/tests: a ready index instead of Qdrant or the replica. */
  streamIndex?: StreamIndex;
  /** false: no Kafka change-feed readers (a benchmark fills the caches itself). Default true. */
  changeFeeds?: boolean;
  /** A producer to share (e.g. the one-process bus); default a BatchingProducer on the config. */
  producer?: EventProducer;
  /** Where user state is read (e.g. the one-process mode's in-memory twin); default Redis. */
  userState?: UserStateRepository;
}

/**
 * Options of the in-process stream index (the replica's store, and the benchmark's, so both
 * search alike): the HNSW beam from FEED_HNSW_EF.
 */
export function streamIndexStoreOptions(
  settings: Pick<RecommenderSettings, 'hnswEf'>,
): Omit<InProcessVectorStoreOptions, 'dimension'> {
  return { hnsw: { efSearch: settings.hnswEf } };
}

/** The feed, streams and erasure endpoints with their caches, readers and stores. */
@Module({})
export class RecommenderFeaturesModule {
  static forRoot(options: RecommenderFeaturesOptions): DynamicModule {
    const { config } = options;
    const settings = config.recommender;
    const kafka = kafkaConnectionOf(config.kafka);
    const cache = new LiveMetricsCache({ maxEnded: 50_000, trendingRefreshMs: 250 });
    const tracker = new WatermarkTracker({ sources: WATERMARK_SOURCES, idleAfterMs: 5_000 });
    const readChangeFeeds = options.changeFeeds ?? true;
    const replica =
      options.streamIndex || config.qdrant || !readChangeFeeds
        ? null
        : new StreamReplica({
            kafka,
            topic: config.topics.names.embeddingsStreams,
            dimension: settings.dimension,
            groupIdPrefix: `${SERVICE_NAME}-replica`,
            store: streamIndexStoreOptions(settings),
          });
    const index: StreamIndex =
      options.streamIndex ??
      (config.qdrant
        ? {
            store: new QdrantVectorStore({
              url: config.qdrant.url,
              ...(config.qdrant.apiKey ? { apiKey: config.qdrant.apiKey } : {}),
              collection: settings.qdrantCollection,
              dimension: settings.dimension,
              requestTimeoutMs: 200,
              // a request path with its own deadline: fail fast, answer degraded
              retry: { maxAttempts: 1 },
            }),
            ready: () => true,
          }
        : replica
          ? { store: replica.store, ready: () => replica.caughtUp }
          : // no source configured (changeFeeds: false without an index): an empty, never-ready store
            { store: new InProcessVectorStore({ dimension: settings.dimension }), ready: () => false });
    const readers: Record<string, CompactedTopicReader> = readChangeFeeds
      ? {
          'live-metrics': new CompactedTopicReader(
            { kafka, topic: config.topics.names.metricsStreams, groupIdPrefix: `${SERVICE_NAME}-metrics` },
            (records) => cache.applyRecords(records),
          ),
          'stream-lifecycle': new CompactedTopicReader(
            {
              kafka,
              topic: config.topics.names.streamLifecycle,
              groupIdPrefix: `${SERVICE_NAME}-lifecycle`,
              // a start or an end reaches the feed when the enricher's transaction sends it, not
              // after its commit: an aborted batch is redelivered and sends the same facts again,
              // and the gate keeps a fenced enricher's late copy of a start from reviving its run
              readUncommitted: true,
            },
            (records) => cache.applyLifecycleRecords(records),
          ),
          watermarks: new CompactedTopicReader(
            { kafka, topic: config.topics.names.watermarks, groupIdPrefix: `${SERVICE_NAME}-watermarks` },
            (records) => tracker.applyRecords(records),
          ),
        }
      : {};
    const liveOnlyReaders: Record<string, CompactedTopicReader> = readChangeFeeds
      ? {
          'stream-lifecycle-fast': new CompactedTopicReader(
            {
              kafka,
              topic: config.topics.names.streamLifecycleFast,
              groupIdPrefix: `${SERVICE_NAME}-lifecycle-fast`,
              // the enricher's early copy of the lifecycle feed: what was before the start is
              // in the lifecycle feed itself, which is replayed
              fromEnd: true,
            },
            (records) => cache.applyLifecycleRecords(records),
          ),
        }
      : {};
    return {
      module: RecommenderFeaturesModule,
      imports: [
        ApiAuthModule.forRoot({
          keys: config.apiKeys,
          nodeEnv: config.common.nodeEnv,
          rateLimit: settings.rateLimit,
        }),
      ],
      controllers: [StreamsController, FeedController, ErasureController],
      providers: [
        RankingService,
        { provide: LiveMetricsCache, useValue: cache },
        { provide: WatermarkTracker, useValue: tracker },
        { provide: STREAM_INDEX, useValue: index },
        {
          provide: QUERY_EMBEDDER,
          useValue: contentQueryEmbedder({ ...config.content, dimension: settings.dimension }),
        },
        {
          provide: UserStateRepository,
          inject: [REDIS_CLIENT],
          useFactory: (redis: RedisClient): UserStateRepository =>
            options.userState ??
            new RedisUserStateRepository(
              redis,
              { aggregatorNamespace: AGGREGATOR_NAMESPACE, userVectorPrefix: settings.userVectorPrefix },
              settings.dimension,
            ),
        },
        {
          provide: ChangeFeedsLifecycle,
          inject: [ReadinessRegistry, Registry],
          useFactory: (readiness: ReadinessRegistry, registry: Registry) => {
            if (replica) registerStreamIndexMetrics(registry, replica.store);
            // with Qdrant as the candidate store, readiness includes reaching it (one attempt, no retries)
            if (config.qdrant) readiness.register(qdrantCheck(() => index.store.ping()));
            return new ChangeFeedsLifecycle(readers, replica, readiness, liveOnlyReaders);
          },
        },
        {
          provide: FEED_SERVICE,
          inject: [UserStateRepository, RankingService],
          useFactory: (users: UserStateRepository, ranking: RankingService) =>
            new FeedService(
              users,
              new CandidateService(index, cache),
              ranking,
              tracker,
              rankingProfile(
                settings.profile,
                { maxPerSeller: settings.maxPerSeller, maxPerCategory: settings.maxPerCategory },
                settings.weightOverrides,
              ),
              {
                defaultLimit: 20,
                deadlineMs: settings.deadlineMs,
                vectorCandidates: settings.vectorCandidates,
                trendingCandidates: settings.trendingCandidates,
                minAsOfWaitMs: settings.minAsOfWaitMs,
              },
            ),
        },
        {
          provide: STREAMS_SERVICE,
          inject: [QUERY_EMBEDDER],
          useFactory: (embedder: QueryEmbedder) => new StreamsService(index, cache, tracker, embedder),
        },
        {
          provide: PRODUCER,
          useFactory: () =>
            options.producer
              ? new OwnedProducer(options.producer, false)
              : new OwnedProducer(new BatchingProducer({ ...kafka, lingerMs: 1 }), true),
        },
        {
          provide: ERASURE_SERVICE,
          inject: [PRODUCER, UserStateRepository],
          useFactory: (producer: EventProducer, users: UserStateRepository) =>
            new ErasureService(producer, config.topics.names.raw, users, settings.erasureWaitMs),
        },
      ],
      exports: [LiveMetricsCache, WatermarkTracker, STREAM_INDEX, UserStateRepository],
    };
  }
}
