import { testInfra, uniqueName } from '@app/testing';
import Redis from 'ioredis';
import { AggregatorSettings } from '../aggregation/aggregator.settings';
import { ConformanceSubject, describeAggregateStateConformance } from './aggregate-state.conformance';
import { describeStreamUpgradeConformance } from './aggregate-state.upgrade.conformance';
import { KEY_NAMESPACE, RedisAggregateStateRepository } from './redis-aggregate-state.repository';

function subject(settings: AggregatorSettings): Promise<ConformanceSubject> {
  const redis = new Redis(testInfra().redisUrl, { keyPrefix: `${uniqueName('agg-conf')}:` });
  const repository = new RedisAggregateStateRepository(redis, settings);
  return Promise.resolve({
    repository,
    writeStreamHash: async (id, fields) => {
      await redis.hset(`${KEY_NAMESPACE}s:${id}`, fields);
    },
    readStreamLayout: async (id) => {
      const key = `${KEY_NAMESPACE}s:${id}`;
      const [fields, r] = await Promise.all([redis.hkeys(key), redis.hgetBuffer(key, 'r')]);
      return { fields: fields.sort(), version: r ? r[0] : null };
    },
    writeStateFormat: async (format) => {
      await redis.set(`${KEY_NAMESPACE}format`, String(format));
    },
    readStateFormat: async () => {
      const format = await redis.get(`${KEY_NAMESPACE}format`);
      return format === null ? null : Number(format);
    },
    readLegacyUserStreams: async (userId) => {
      const flat = await redis.zrevrange(`${KEY_NAMESPACE}u:${userId}:streams`, 0, -1, 'WITHSCORES');
      const pairs: [string, number][] = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], Number(flat[i + 1])]);
      return pairs;
    },
    writeLegacyUserStreams: async (userId, members) => {
      for (const [member, score] of members)
        await redis.zadd(`${KEY_NAMESPACE}u:${userId}:streams`, score, member);
    },
    streamKeyTtls: (id) => {
      const s = `${KEY_NAMESPACE}s:${id}`;
      return Promise.all([s, `${s}:uv`, `${s}:ub`, `${s}:watching`].map((key) => redis.ttl(key)));
    },
    close: async () => {
      await repository.deleteAll();
      await redis.quit();
    },
  });
}

describeAggregateStateConformance('RedisAggregateStateRepository', subject);
describeStreamUpgradeConformance('RedisAggregateStateRepository', subject);
