import { ConfigModule, EnvSource, loadConfig } from '@app/config';
import { DEFAULT_CHECK_TIMEOUT_MS, HealthModule, kafkaCheck, redisCheck } from '@app/health';
import { ObservabilityModule } from '@app/observability';
import { REDIS_CLIENT, RedisClient, RedisModule } from '@app/redis';
import { DynamicModule, Module } from '@nestjs/common';
import { SERVICE_NAME, recommenderApiEnvSchema } from './config/recommender-api.config';
import { RecommenderFeaturesModule, RecommenderFeaturesOptions } from './feed/recommender-features.module';

/**
 * Root module of recommender-api. `forRoot` validates the environment once (throwing a
 * ConfigValidationError that lists every bad variable) and wires the shared libs from it.
 */
@Module({})
export class RecommenderApiModule {
  /** `overrides`: benchmarks and tests swap the stream index or skip the Kafka change feeds. */
  static forRoot(env: EnvSource, overrides: Omit<RecommenderFeaturesOptions, 'config'> = {}): DynamicModule {
    const config = loadConfig(recommenderApiEnvSchema, env);
    return {
      module: RecommenderApiModule,
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
        RecommenderFeaturesModule.forRoot({ ...overrides, config }),
      ],
    };
  }
}
