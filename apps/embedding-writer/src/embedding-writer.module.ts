import { ConfigModule, EnvSource, loadConfig } from '@app/config';
import { DEFAULT_CHECK_TIMEOUT_MS, HealthModule, kafkaCheck, redisCheck } from '@app/health';
import { ObservabilityModule } from '@app/observability';
import { REDIS_CLIENT, RedisClient, RedisModule } from '@app/redis';
import { DynamicModule, Module } from '@nestjs/common';
import { SERVICE_NAME, embeddingWriterEnvSchema } from './config/embedding-writer.config';
import { EmbeddingWriterFeatureModule } from './writer/embedding-writer-feature.module';

/**
 * Root module of embedding-writer. `forRoot` validates the environment once (throwing a
 * ConfigValidationError that lists every bad variable) and wires the shared libs from it.
 */
@Module({})
export class EmbeddingWriterModule {
  static forRoot(env: EnvSource): DynamicModule {
    const config = loadConfig(embeddingWriterEnvSchema, env);
    return {
      module: EmbeddingWriterModule,
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
        EmbeddingWriterFeatureModule.forRoot({ ...config, serviceName: SERVICE_NAME }),
      ],
    };
  }
}
