import { ConfigModule, EnvSource, loadConfig } from '@app/config';
import { DEFAULT_CHECK_TIMEOUT_MS, HealthModule, kafkaCheck, redisCheck } from '@app/health';
import { ObservabilityModule } from '@app/observability';
import { REDIS_CLIENT, RedisClient, RedisModule } from '@app/redis';
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
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot({ serviceName: SERVICE_NAME, level: config.common.logLevel }),
        RedisModule.forRoot({ ...config.redis, connectionName: SERVICE_NAME }),
        HealthModule.forRootAsync({
          inject: [REDIS_CLIENT],
          useFactory: (redis: RedisClient) => ({
            checks: [
              redisCheck(redis),
              kafkaCheck({ ...config.kafka, brokers: [...config.kafka.brokers] }, DEFAULT_CHECK_TIMEOUT_MS),
            ],
          }),
        }),
        EnrichmentModule.forRoot(config, { state: 'redis' }),
        IngressModule.forRoot(config),
      ],
    };
  }
}
