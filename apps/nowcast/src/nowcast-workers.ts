import { ConfigModule } from '@app/config';
import { ReadinessRegistry, ShutdownState } from '@app/health';
import { InProcessBatchServer, InProcessBus, InProcessProducer } from '@app/kafka';
import { PipelineMetrics } from '@app/observability';
import { REDIS_CLIENT, RedisClient } from '@app/redis';
import { DynamicModule, INestApplicationContext, INestMicroservice, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Registry } from 'prom-client';
import { EmbeddingWriterConfig } from '../../embedding-writer/src/config/embedding-writer.config';
import { EmbeddingWriterFeatureModule } from '../../embedding-writer/src/writer/embedding-writer-feature.module';
import { writerGroupId } from '../../embedding-writer/src/writer/embedding-writer-feature.module';
import { EventEnricherConfig } from '../../event-enricher/src/config/event-enricher.config';
import { EnrichmentModule } from '../../event-enricher/src/enrichment/enrichment.module';
import { MetricsAggregatorConfig } from '../../metrics-aggregator/src/config/metrics-aggregator.config';
import { StreamMetricsModule } from '../../metrics-aggregator/src/stream-metrics/stream-metrics.module';
import { InMemoryUserVectors } from './in-memory-user-vectors';

/** What the HTTP app shares with the consumer contexts: one registry, one readiness, one Redis. */
export interface SharedInfra {
  registry: Registry;
  pipeline: PipelineMetrics;
  readiness: ReadinessRegistry;
  shutdown: ShutdownState;
  redis: RedisClient | null;
  logger: LoggerService;
}

export function sharedInfra(
  http: INestApplicationContext,
  redis: boolean,
  logger: LoggerService,
): SharedInfra {
  return {
    registry: http.get(Registry),
    pipeline: http.get(PipelineMetrics),
    readiness: http.get(ReadinessRegistry),
    shutdown: http.get(ShutdownState),
    redis: redis ? http.get<RedisClient>(REDIS_CLIENT) : null,
    logger,
  };
}

function sharedModule(infra: SharedInfra): DynamicModule {
  return {
    module: class NowcastSharedInfraModule {},
    global: true,
    providers: [
      { provide: Registry, useValue: infra.registry },
      { provide: PipelineMetrics, useValue: infra.pipeline },
      { provide: ReadinessRegistry, useValue: infra.readiness },
      { provide: ShutdownState, useValue: infra.shutdown },
      ...(infra.redis ? [{ provide: REDIS_CLIENT, useValue: infra.redis }] : []),
    ],
    exports: [
      Registry,
      PipelineMetrics,
      ReadinessRegistry,
      ShutdownState,
      ...(infra.redis ? [REDIS_CLIENT] : []),
    ],
  };
}

function root(name: string, imports: DynamicModule[]): DynamicModule {
  // a distinct class per context: Nest keys modules by class (and dynamic metadata)
  const module = { [name]: class {} }[name];
  return { module, imports };
}

async function startContext(
  module: DynamicModule,
  strategy: InProcessBatchServer,
  infra: SharedInfra,
): Promise<INestMicroservice> {
  const app = await NestFactory.createMicroservice(module, { strategy, logger: infra.logger });
  await app.listen();
  return app;
}

export interface WorkerConfigs {
  enricher: EventEnricherConfig;
  aggregator: MetricsAggregatorConfig;
  writer: EmbeddingWriterConfig;
}

/** Index of the aggregator's context in what startWorkers returns (its state feeds the recommender). */
export const AGGREGATOR_CONTEXT = 1;

/**
 * The three consumers of the mesh, each its own Nest context on the in-process bus (the same
 * `@EventPattern` handlers the Kafka services run): enricher (raw -> enriched, transactional),
 * aggregator and embedding writer (enriched -> change feeds). Memory repositories unless Redis.
 */
export async function startWorkers(
  bus: InProcessBus,
  configs: WorkerConfigs,
  infra: SharedInfra,
  /** Memory mode: the writer's user vectors (shared with the recommender's user-state twin). */
  userVectors: InMemoryUserVectors = new InMemoryUserVectors(),
): Promise<INestMicroservice[]> {
  const producer = new InProcessProducer(bus);
  const memory = infra.redis === null;
  const { enricher, aggregator, writer } = configs;
  const started: INestMicroservice[] = [];
  try {
    started.push(
      await startContext(
        root('NowcastEnricher', [
          sharedModule(infra),
          ConfigModule.forRoot(enricher),
          EnrichmentModule.forRoot(enricher, { state: memory ? 'memory' : 'redis' }),
        ]),
        new InProcessBatchServer({
          bus,
          groupId: enricher.enricher.groupId,
          topics: [enricher.topics.names.raw],
          transactional: true,
        }),
        infra,
      ),
    );
    const aggregatorServer = new InProcessBatchServer({
      bus,
      groupId: aggregator.aggregator.groupId,
      topics: [aggregator.topics.names.enriched],
    });
    const names = aggregator.topics.names;
    started.push(
      await startContext(
        root('NowcastAggregator', [
          sharedModule(infra),
          StreamMetricsModule.forRoot({
            settings: aggregator.aggregator.settings,
            topics: {
              enriched: names.enriched,
              raw: names.raw,
              deadLetter: names.deadLetter,
              metricsStreams: names.metricsStreams,
              stateFollows: names.stateFollows,
              watermarks: names.watermarks,
            },
            groupId: aggregator.aggregator.groupId,
            source: 'metrics-aggregator',
            storage: memory ? 'memory' : 'redis',
            createTransport: () => aggregatorServer,
            createProducer: () => new InProcessProducer(bus),
          }),
        ]),
        aggregatorServer,
        infra,
      ),
    );
    const writerFeature = { ...writer, serviceName: 'embedding-writer' };
    started.push(
      await startContext(
        root('NowcastEmbeddingWriter', [
          sharedModule(infra),
          EmbeddingWriterFeatureModule.forRoot(writerFeature, {
            producer,
            ...(memory ? { userVectors } : {}),
          }),
        ]),
        new InProcessBatchServer({
          bus,
          groupId: writerGroupId(writer.writer),
          topics: [writer.topics.names.enriched],
        }),
        infra,
      ),
    );
  } catch (error) {
    await closeWorkers(started);
    throw error;
  }
  return started;
}

/** Upstream first, so each consumer drains what the previous one wrote. */
export async function closeWorkers(workers: readonly INestMicroservice[]): Promise<void> {
  for (const worker of workers) await worker.close();
}
