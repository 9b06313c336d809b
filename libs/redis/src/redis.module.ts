import { DynamicModule, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { RedisModuleOptions, toIoredisOptions } from './redis.options';

/** Injection token of the app's ioredis client. */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');
export const InjectRedis = (): PropertyDecorator & ParameterDecorator => Inject(REDIS_CLIENT);
export type RedisClient = Redis;

// Outage errors repeat at every reconnect attempt; one line per interval is enough.
const ERROR_LOG_INTERVAL_MS = 5_000;

export function createRedisClient(options: RedisModuleOptions, logger: Logger): Redis {
  const client = new Redis(options.url, toIoredisOptions(options));
  let lastErrorLogAt = 0;
  let failing = false;
  client.on('error', (error: Error) => {
    failing = true;
    const now = Date.now();
    if (now - lastErrorLogAt < ERROR_LOG_INTERVAL_MS) return;
    lastErrorLogAt = now;
    logger.warn(`Redis unavailable, reconnecting: ${error.message}`);
  });
  client.on('ready', () => {
    if (failing) logger.log('Redis connection restored');
    failing = false;
  });
  return client;
}

/**
 * Closes the client in onApplicationShutdown, the last lifecycle step: consumers stop and
 * flush in onModuleDestroy/beforeApplicationShutdown, and may still write to Redis until then.
 */
@Injectable()
export class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS_CLIENT) private readonly client: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.client.status !== 'ready') {
      // QUIT would wait in the offline queue for a Redis that is not there
      this.client.disconnect();
      return;
    }
    const timer = setTimeout(() => this.client.disconnect(), 2_000);
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Provides one ioredis client per app (global), connected at boot without blocking it. */
@Module({})
export class RedisModule {
  static forRoot(options: RedisModuleOptions): DynamicModule {
    return {
      module: RedisModule,
      global: true,
      providers: [
        { provide: REDIS_CLIENT, useFactory: () => createRedisClient(options, new Logger('Redis')) },
        RedisCloser,
      ],
      exports: [REDIS_CLIENT],
    };
  }
}
