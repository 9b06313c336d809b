import { EnvSource, loadConfig } from '@app/config';
import { serviceInfrastructure } from '@app/health';
import { DynamicModule, Module } from '@nestjs/common';
import { EventEnricherConfig, SERVICE_NAME, eventEnricherEnvSchema } from './config/event-enricher.config';
import { EnrichmentModule } from './enrichment/enrichment.module';
import { IngressModule } from './ingress/ingress.module';

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
    };
  }
}
