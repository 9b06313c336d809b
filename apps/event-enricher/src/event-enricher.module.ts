import { EnvSource, loadConfig } from '@app/config';
import { serviceInfrastructure } from '@app/health';
import { kafkaConnectionOf } from '@app/kafka';
import { DynamicModule, Module, Provider } from '@nestjs/common';
import { Registry } from 'prom-client';
import { EventEnricherConfig, SERVICE_NAME, eventEnricherEnvSchema } from './config/event-enricher.config';
import { EnrichmentModule } from './enrichment/enrichment.module';
import { IngressModule } from './ingress/ingress.module';
import { LifecycleFastLane } from './lifecycle-fast-lane/lifecycle-fast-lane';
import { rawEventParseOptions } from './enrichment/enrich-batch.service';

/**
 * Root module of event-enricher. `forRoot` validates the environment once (throwing a
 * ConfigValidationError that lists every bad variable) and wires the shared libs from it;
 * `forConfig` takes an already validated config (main.ts needs it before the app exists).
 */
@Module({})
export class EventEnricherModule {
  static forRoot(env: EnvSource): DynamicModule {
    return EventEnricherModule.forConfig(loadConfig(eventEnricherEnvSchema, env));
  }

  static forConfig(config: EventEnricherConfig): DynamicModule {
    return {
      module: EventEnricherModule,
      imports: [
        ...serviceInfrastructure(SERVICE_NAME, config),
        EnrichmentModule.forRoot(config, { state: 'redis' }),
        IngressModule.forRoot(config),
      ],
      providers: config.enricher.lifecycleFastLane ? [lifecycleFastLaneProvider(config)] : [],
    };
  }
}

/** The lane's reader and writer, on the enricher's cluster, raw topic and parser limits. */
function lifecycleFastLaneProvider(config: EventEnricherConfig): Provider {
  const { enricher, topics } = config;
  return {
    provide: LifecycleFastLane,
    inject: [Registry],
    useFactory: (registry: Registry) =>
      new LifecycleFastLane(
        {
          kafka: kafkaConnectionOf(config.kafka),
          groupId: `${enricher.groupId}-lifecycle-fast`,
          rawTopic: topics.names.raw,
          fastTopic: topics.names.streamLifecycleFast,
          maxWaitTimeMs: enricher.maxWaitMs,
          parseOptions: () => rawEventParseOptions(enricher, Date.now()),
        },
        registry,
      ),
  };
}
