import { testInfra, uniqueName } from '@app/testing';
import Redis from 'ioredis';
import { describeAggregateStateConformance } from './aggregate-state.conformance';
import { KEY_NAMESPACE, RedisAggregateStateRepository } from './redis-aggregate-state.repository';

describeAggregateStateConformance('RedisAggregateStateRepository', (settings) => {
  const redis = new Redis(testInfra().redisUrl, { keyPrefix: `${uniqueName('agg-conf')}:` });
  const repository = new RedisAggregateStateRepository(redis, settings);
  return Promise.resolve({
    repository,
    writeStreamHash: async (id, fields) => {
      await redis.hset(`${KEY_NAMESPACE}s:${id}`, fields);
    },
    close: async () => {
      await repository.deleteAll();
      await redis.quit();
    },
  });
});
