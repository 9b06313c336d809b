import { EventProducer, TransportHealth, TransportObserver } from '@app/kafka';
import { PipelineMetrics } from '@app/observability';
import { REDIS_CLIENT, RedisClient } from '@app/redis';
import {
  BeforeApplicationShutdown,
  DynamicModule,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
  Provider,
} from '@nestjs/common';
import { CustomTransportStrategy } from '@nestjs/microservices';
import { Registry } from 'prom-client';
import { Observable, Subscription } from 'rxjs';
import { AggregatorTopics } from '../aggregation/aggregator-topics';
import { AGGREGATOR_SETTINGS, AggregatorSettings } from '../aggregation/aggregator.settings';
import { BatchApplier } from '../aggregation/batch-applier';
import { BatchFoldService } from '../aggregation/batch-fold.service';
import { ChangeFeedPublisher } from '../change-feed/change-feed.publisher';
import { watchAssignments } from '../change-feed/pending-recovery';
import { IDLE_USER_SWEEP_INTERVAL_MS, IdleUserSweeper } from '../idle-users/idle-user.sweeper';
import { LeaseSweeper } from '../liveness/lease-sweeper';
import { AGGREGATE_STATE_REPOSITORY, AggregateStateRepository } from '../state/aggregate-state.repository';
import { InMemoryAggregateStateRepository } from '../state/in-memory-aggregate-state.repository';
import { RedisAggregateStateRepository } from '../state/redis-aggregate-state.repository';
import { idleUsersSweptCounter, prometheusCounters } from './aggregator-counters';
import { EnrichedBatchHandler } from './enriched-batch.handler';
import { enrichedEventsConsumer } from './enriched-events.consumer';

/** The consumer transport (KafkaBatchServer or its in-process twin): main.ts connects it. */
export interface AggregatorTransport extends CustomTransportStrategy {
  /** Nest's server status stream ('connected' after each group join). */
  readonly status: Observable<string>;
  health(): TransportHealth;
  observe(observer: TransportObserver): void;
}

export const AGGREGATOR_TRANSPORT = Symbol('AGGREGATOR_TRANSPORT');
export const AGGREGATOR_PRODUCER = Symbol('AGGREGATOR_PRODUCER');

export interface StreamMetricsModuleOptions {
  settings: AggregatorSettings;
  topics: AggregatorTopics;
  groupId: string;
  /** Key of this service's watermark records. */
  source: string;
  /** 'redis' needs the app's REDIS_CLIENT (RedisModule); 'memory' runs without Redis. */
  storage: 'redis' | 'memory';
  /** Creates the consumer transport; main.ts connects it (`app.get(AGGREGATOR_TRANSPORT)`). */
  createTransport(): AggregatorTransport;
  createProducer(): EventProducer;
  /** Set false for replays (rebuild): no expiries are decided. Default true. */
  sweeper?: boolean;
}

/**
 * Starts the sweeper and the pending change-feed recovery (on every group join) after boot; on
 * shutdown stops consuming, flushes the feed, closes the producer.
 */
@Injectable()
class AggregatorLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private assignments: Subscription | null = null;

  constructor(
    private readonly handler: EnrichedBatchHandler,
    @Inject('AGGREGATOR_ENRICHED_TOPIC') private readonly enrichedTopic: string,
    private readonly sweeper: LeaseSweeper,
    private readonly idleUsers: IdleUserSweeper,
    private readonly feed: ChangeFeedPublisher,
    @Inject(AGGREGATOR_TRANSPORT) private readonly transport: AggregatorTransport,
    @Inject(AGGREGATOR_PRODUCER) private readonly producer: EventProducer,
    @Inject('AGGREGATOR_SWEEPER_ENABLED') private readonly sweeperEnabled: boolean,
  ) {}

  onApplicationBootstrap(): void {
    if (this.sweeperEnabled) {
      this.sweeper.start();
      this.idleUsers.start();
    }
    this.assignments = watchAssignments(this.transport, this.enrichedTopic, (partitions) =>
      this.handler.partitionsAssigned(partitions),
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.assignments?.unsubscribe();
    await this.sweeper.stop();
    await this.idleUsers.stop();
    // Nest closes microservices only after this hook: stop the consumer first so the last
    // applied batches are in the final flush (closing it again later is harmless).
    await Promise.resolve(this.transport.close());
    await this.feed.close();
    await this.producer.close();
  }
}

/**
 * The metrics aggregator's features: enriched-topic consumer, fold + atomic apply, change feed
 * and watermarks, lease sweeper. See docs/key-layout.md.
 */
@Module({})
export class StreamMetricsModule {
  static forRoot(options: StreamMetricsModuleOptions): DynamicModule {
    const providers: Provider[] = [
      { provide: AGGREGATOR_SETTINGS, useValue: options.settings },
      { provide: 'AGGREGATOR_SWEEPER_ENABLED', useValue: options.sweeper ?? true },
      { provide: 'AGGREGATOR_ENRICHED_TOPIC', useValue: options.topics.enriched },
      { provide: AGGREGATOR_TRANSPORT, useFactory: () => options.createTransport() },
      { provide: AGGREGATOR_PRODUCER, useFactory: () => options.createProducer() },
      {
        provide: AGGREGATE_STATE_REPOSITORY,
        inject: [{ token: REDIS_CLIENT, optional: true }],
        useFactory: (redis: RedisClient | undefined): AggregateStateRepository => {
          if (options.storage === 'memory') return new InMemoryAggregateStateRepository(options.settings);
          if (!redis) throw new Error('storage "redis" needs RedisModule (REDIS_CLIENT)');
          return new RedisAggregateStateRepository(redis, options.settings);
        },
      },
      BatchFoldService,
      {
        provide: BatchApplier,
        inject: [BatchFoldService, AGGREGATE_STATE_REPOSITORY],
        useFactory: (fold: BatchFoldService, repo: AggregateStateRepository) => new BatchApplier(fold, repo),
      },
      {
        provide: ChangeFeedPublisher,
        inject: [AGGREGATE_STATE_REPOSITORY, AGGREGATOR_PRODUCER],
        useFactory: (repo: AggregateStateRepository, producer: EventProducer) =>
          new ChangeFeedPublisher(repo, producer, {
            enrichedTopic: options.topics.enriched,
            metricsTopic: options.topics.metricsStreams,
            watermarksTopic: options.topics.watermarks,
            coalesceMs: options.settings.coalesceMs,
            source: options.source,
          }),
      },
      {
        provide: LeaseSweeper,
        inject: [AGGREGATE_STATE_REPOSITORY, AGGREGATOR_PRODUCER, AGGREGATOR_TRANSPORT],
        useFactory: (
          repo: AggregateStateRepository,
          producer: EventProducer,
          transport: AggregatorTransport,
        ) =>
          new LeaseSweeper(repo, producer, () => transport.health(), {
            enrichedTopic: options.topics.enriched,
            rawTopic: options.topics.raw,
            streamLeaseMs: options.settings.streamLeaseMs,
            sweepIntervalMs: options.settings.sweepIntervalMs,
          }),
      },
      {
        provide: IdleUserSweeper,
        inject: [AGGREGATE_STATE_REPOSITORY, { token: Registry, optional: true }],
        useFactory: (repo: AggregateStateRepository, registry?: Registry) =>
          new IdleUserSweeper(repo, {
            userTtlSec: options.settings.userTtlSec,
            intervalMs: IDLE_USER_SWEEP_INTERVAL_MS,
            onSwept: registry ? idleUsersSweptCounter(registry) : undefined,
          }),
      },
      {
        provide: EnrichedBatchHandler,
        inject: [
          BatchApplier,
          AGGREGATE_STATE_REPOSITORY,
          AGGREGATOR_PRODUCER,
          ChangeFeedPublisher,
          { token: Registry, optional: true },
          { token: PipelineMetrics, optional: true },
        ],
        useFactory: (
          applier: BatchApplier,
          repo: AggregateStateRepository,
          producer: EventProducer,
          feed: ChangeFeedPublisher,
          registry?: Registry,
          pipeline?: PipelineMetrics,
        ) =>
          new EnrichedBatchHandler(
            applier,
            repo,
            producer,
            feed,
            { topics: options.topics, groupId: options.groupId },
            registry && pipeline ? prometheusCounters(registry, pipeline) : undefined,
          ),
      },
      AggregatorLifecycle,
    ];
    return {
      module: StreamMetricsModule,
      controllers: [enrichedEventsConsumer(options.topics.enriched)],
      providers,
      exports: [
        AGGREGATE_STATE_REPOSITORY,
        AGGREGATOR_TRANSPORT,
        ChangeFeedPublisher,
        LeaseSweeper,
        IdleUserSweeper,
        EnrichedBatchHandler,
      ],
    };
  }
}
