import { testInfra, uniqueName } from '@app/testing';
import Redis from 'ioredis';
import { EnrichedEvent } from '@app/contracts';
import { BatchApplier } from '../aggregation/batch-applier';
import { BatchFoldService } from '../aggregation/batch-fold.service';
import { AggregatorSettings, DEFAULT_AGGREGATOR_SETTINGS } from '../aggregation/aggregator.settings';
import { EnrichedEventFactory } from '../test-support/enriched-events.factory';
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

describe('RedisAggregateStateRepository users:seen', () => {
  const HOUR = 3_600_000;
  const T0 = Date.UTC(2026, 10, 29, 9);

  it('records a user once per hour: later batches of that hour leave the ZADD out', async () => {
    const redis = new Redis(testInfra().redisUrl, { keyPrefix: `${uniqueName('agg-seen')}:` });
    const repository = new RedisAggregateStateRepository(redis, DEFAULT_AGGREGATOR_SETTINGS);
    const fold = new BatchFoldService(DEFAULT_AGGREGATOR_SETTINGS);
    const f = new EnrichedEventFactory('seen');
    let offset = 0;
    const apply = (events: EnrichedEvent[]) =>
      new BatchApplier(fold, repository).apply(
        'enriched',
        0,
        events.map((event) => ({ offset: String(offset++), event })),
      );
    const seen = () => redis.zrange(`${KEY_NAMESPACE}users:seen`, 0, -1, 'WITHSCORES');
    try {
      await apply([f.started('s1', T0, 'seller-1', 'watches', 'en')]);
      await apply([f.event('chat.message', T0 + 1_000, { userId: 'u1', streamId: 's1' })]);
      expect(await seen()).toEqual(['u1', String(T0 + HOUR)]);
      // taken out behind the repository's back: a batch of the same hour does not put it back
      await redis.zrem(`${KEY_NAMESPACE}users:seen`, 'u1');
      await apply([f.event('chat.message', T0 + 2_000, { userId: 'u1', streamId: 's1' })]);
      expect(await seen()).toEqual([]);
      // the next hour records every active user again
      await apply([f.event('chat.message', T0 + HOUR + 1_000, { userId: 'u1', streamId: 's1' })]);
      expect(await seen()).toEqual(['u1', String(T0 + 2 * HOUR)]);
    } finally {
      await repository.deleteAll();
      await redis.quit();
    }
  });
});
