import { ConfigModule, RedisConnectionConfig } from '@app/config';
import { HealthModule, redisCheck } from '@app/health';
import { EventProducer } from '@app/kafka';
import { ObservabilityModule } from '@app/observability';
import { REDIS_CLIENT, RedisClient, RedisModule } from '@app/redis';
import { DynamicModule, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { EventEnricherConfig } from '../../event-enricher/src/config/event-enricher.config';
import { IngressModule } from '../../event-enricher/src/ingress/ingress.module';
import { StreamIndex } from '../../recommender-api/src/candidates/stream-index';
import { RecommenderApiConfig } from '../../recommender-api/src/config/recommender-api.config';
import { RecommenderFeaturesModule } from '../../recommender-api/src/feed/recommender-features.module';
import { UserStateRepository } from '../../recommender-api/src/user-state/user-state.repository';

export const NOWCAST_SERVICE_NAME = 'nowcast';

export interface NowcastHttpOptions {
  enricher: EventEnricherConfig;
  recommender: RecommenderApiConfig;
  /** The in-process bus's producer: ingress and erasure write to the raw topic through it. */
  producer: EventProducer;
  /** The stream vectors the recommender searches (the in-process replica twin). */
  streamIndex: StreamIndex;
  /** Redis for the repositories when REDIS_URL is set; null = in memory only. */
  redis: RedisConnectionConfig | null;
  /** In memory only: the recommender's user-state twin (reads the aggregator's and writer's state). */
  userState?: UserStateRepository;
}

/**
 * Without Redis the services' Redis injections still need a client: one that never connects
 * (status stays "wait"); the recommender reads user state from its in-memory twin instead.
 */
class OfflineRedisCloser implements OnApplicationShutdown {
  constructor(private readonly client: Redis) {}
  onApplicationShutdown(): void {
    this.client.disconnect();
  }
}

function offlineRedis(): DynamicModule {
  const client = new Redis({
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    // never reached: a command (erasure only) fails instead of touching a developer's Redis
    path: '/nonexistent/nowcast-in-memory.sock',
  });
  client.on('error', () => undefined);
  return {
    module: class OfflineRedisModule {},
    global: true,
    providers: [
      { provide: REDIS_CLIENT, useValue: client },
      { provide: OfflineRedisCloser, useValue: new OfflineRedisCloser(client) },
    ],
    exports: [REDIS_CLIENT],
  };
}

/**
 * The one HTTP app of the one-process mode: the enricher's ingress (POST /v1/events) and the
 * recommender's endpoints, with ONE logger/metrics registry, ONE health module and ONE config.
 * The consumers (enricher, aggregator, writer) run as separate Nest contexts on the same bus:
 * one Nest app holds one handler per topic, and two services consume the enriched topic.
 */
@Module({})
export class NowcastHttpModule {
  static forRoot(options: NowcastHttpOptions): DynamicModule {
    const { enricher, recommender, redis } = options;
    return {
      module: NowcastHttpModule,
      imports: [
        // APP_CONFIG: only the enricher's ingress injects it
        ConfigModule.forRoot(enricher),
        ObservabilityModule.forRoot({
          serviceName: NOWCAST_SERVICE_NAME,
          level: enricher.common.logLevel,
          requestLog: enricher.common.requestLog,
        }),
        redis ? RedisModule.forRoot({ ...redis, connectionName: NOWCAST_SERVICE_NAME }) : offlineRedis(),
        HealthModule.forRootAsync({
          inject: [REDIS_CLIENT],
          useFactory: (client: RedisClient) => ({ checks: redis ? [redisCheck(client)] : [] }),
        }),
        IngressModule.forRoot(enricher, { producer: options.producer }),
        RecommenderFeaturesModule.forRoot({
          config: recommender,
          streamIndex: options.streamIndex,
          changeFeeds: false,
          producer: options.producer,
          ...(options.userState ? { userState: options.userState } : {}),
        }),
      ],
    };
  }
}
