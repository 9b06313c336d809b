import { kafkaEnv, redisEnv, topicsEnv, type RedisConnectionConfig } from '@app/config';
import { createRedisClient } from '@app/redis';
import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';

/** The env groups every rebuild needs beside the service's own (same variables as the service). */
export function rebuildBaseEnv() {
  return {
    kafka: kafkaEnv({ clientId: 'nowcast-rebuild' }),
    redis: redisEnv(),
    topics: topicsEnv(),
  };
}

/**
 * Runs a rebuild with a Redis connection that answered PING before anything is deleted or
 * replayed, and that is closed however the rebuild ends.
 */
export async function withRebuildRedis(
  config: RedisConnectionConfig,
  rebuild: (redis: Redis) => Promise<void>,
): Promise<void> {
  const redis = createRedisClient({ ...config, connectionName: 'nowcast-rebuild' }, new Logger('Redis'));
  try {
    await redis.ping();
    await rebuild(redis);
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}
