import { REDIS_CLIENT, RedisClient } from '@app/redis';
import { DynamicModule, Module, Provider } from '@nestjs/common';
import { ENRICHER_STATE_REPOSITORY } from '../enricher-state/enricher-state.repository';
import { InMemoryEnricherStateRepository } from '../enricher-state/in-memory-enricher-state.repository';
import { RedisEnricherStateRepository } from '../enricher-state/redis-enricher-state.repository';
import type { EnricherFeatureConfig } from '../runtime/enricher-feature.config';
import { EnrichBatchService } from './enrich-batch.service';
import { EnrichmentService } from './enrichment.service';
import { rawEventsConsumer } from './raw-events.consumer';

export interface EnrichmentModuleOptions {
  /** 'redis' (needs RedisModule) or 'memory' (the one-process mode without Redis). */
  state: 'redis' | 'memory';
}

/** The consumer side: raw topic -> dedupe + enrichment -> enriched topic / dead letters. */
@Module({})
export class EnrichmentModule {
  static forRoot(config: EnricherFeatureConfig, options: EnrichmentModuleOptions): DynamicModule {
    const state: Provider =
      options.state === 'redis'
        ? {
            provide: ENRICHER_STATE_REPOSITORY,
            inject: [REDIS_CLIENT],
            useFactory: (redis: RedisClient) =>
              new RedisEnricherStateRepository(redis, { timeoutMs: config.enricher.redisTimeoutMs }),
          }
        : { provide: ENRICHER_STATE_REPOSITORY, useValue: new InMemoryEnricherStateRepository() };
    return {
      module: EnrichmentModule,
      controllers: [rawEventsConsumer(config.topics.names.raw)],
      providers: [state, EnrichmentService, EnrichBatchService],
      exports: [EnrichBatchService, EnrichmentService, ENRICHER_STATE_REPOSITORY],
    };
  }
}
