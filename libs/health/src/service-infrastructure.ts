import { ConfigModule, DeepReadonly, KafkaConnectionConfig } from '@app/config';
import { ObservabilityModule, RequestLogOptions } from '@app/observability';
import { REDIS_CLIENT, RedisClient, RedisModule, RedisModuleOptions } from '@app/redis';
import { DynamicModule } from '@nestjs/common';
import { DEFAULT_CHECK_TIMEOUT_MS, HealthModule } from './health.module';
import { kafkaCheck } from './kafka.check';
import { redisCheck } from './redis.check';

/** What every service's loaded config holds that its infrastructure needs. */
export interface ServiceInfrastructureConfig {
  common: {
    readonly logLevel: string;
    readonly requestLog: { readonly slowMs: number; readonly sampleRate: number };
  };
  kafka: DeepReadonly<KafkaConnectionConfig>;
  redis: DeepReadonly<Omit<RedisModuleOptions, 'connectionName'>>;
}

/**
 * The global modules every service's root module starts with: its validated config, logging and
 * metrics, the Redis client, and health with readiness on Redis and Kafka (feature modules add
 * their own checks through ReadinessRegistry). `requestLog` overrides the access-log options of the
 * config (e.g. `asyncContext: false` where no handler logs through the request context).
 */
export function serviceInfrastructure(
  serviceName: string,
  config: ServiceInfrastructureConfig,
  requestLog: Partial<RequestLogOptions> = {},
): DynamicModule[] {
  return [
    ConfigModule.forRoot(config),
    ObservabilityModule.forRoot({
      serviceName,
      level: config.common.logLevel,
      requestLog: { ...config.common.requestLog, ...requestLog },
    }),
    RedisModule.forRoot({ ...config.redis, connectionName: serviceName }),
    HealthModule.forRootAsync({
      inject: [REDIS_CLIENT],
      useFactory: (redis: RedisClient) => ({
        checks: [
          redisCheck(redis),
          kafkaCheck({ ...config.kafka, brokers: [...config.kafka.brokers] }, DEFAULT_CHECK_TIMEOUT_MS),
        ],
      }),
    }),
  ];
}
