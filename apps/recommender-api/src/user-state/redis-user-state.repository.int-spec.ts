import { uniqueName, testInfra } from '@app/testing';
import { float32ToBuffer } from '@app/vector-store';
import { Redis } from 'ioredis';
import { RedisUserStateRepository } from './redis-user-state.repository';
import { CONFORMANCE_DIMENSION, UserFixture, describeUserStateRepository } from './user-state.conformance';

const clients: Redis[] = [];

afterAll(async () => {
  for (const client of clients) {
    let cursor = '0';
    const prefix = client.options.keyPrefix ?? '';
    const raw = new Redis(testInfra().redisUrl);
    do {
      const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
      cursor = next;
      if (keys.length > 0) await raw.unlink(...keys);
    } while (cursor !== '0');
    raw.disconnect();
    client.disconnect();
  }
});

/** Writes a fixture in the aggregator's and writer's layout (docs/key-layout.md). */
async function seed(redis: Redis, userId: string, f: UserFixture): Promise<void> {
  const base = `agg:u:${userId}:`;
  const p = redis.pipeline();
  if (f.vector) p.set(`emb:user:${userId}`, float32ToBuffer(f.vector));
  for (const [member, score] of f.sellers) p.zadd(`${base}sellers`, score, member);
  for (const [member, score] of f.categories) p.zadd(`${base}categories`, score, member);
  for (const [member, score] of f.shown) p.zadd(`${base}shown`, score, member);
  for (const [field, value] of Object.entries(f.sellerCounts)) p.hset(`${base}seller-counts`, field, value);
  for (const [field, value] of Object.entries(f.shownCounts)) p.hset(`${base}shown-counts`, field, value);
  if (f.follows.length > 0) p.sadd(`${base}follows`, ...f.follows);
  await p.exec();
}

describeUserStateRepository('RedisUserStateRepository', async () => {
  const redis = new Redis(testInfra().redisUrl, { keyPrefix: `${uniqueName('user-state')}:` });
  clients.push(redis);
  await new Promise<void>((resolve) => (redis.status === 'ready' ? resolve() : redis.once('ready', resolve)));
  const repository = new RedisUserStateRepository(
    redis,
    { aggregatorNamespace: 'agg:', userVectorPrefix: 'emb:user:' },
    CONFORMANCE_DIMENSION,
  );
  return { repository, seed: (userId, fixture) => seed(redis, userId, fixture) };
});

describe('RedisUserStateRepository reads in one turn of the event loop', () => {
  it('sends them in one corked write and answers each request its own user, script loaded or not', async () => {
    const redis = new Redis(testInfra().redisUrl, { keyPrefix: `${uniqueName('user-state-batch')}:` });
    clients.push(redis);
    await new Promise<void>((resolve) =>
      redis.status === 'ready' ? resolve() : redis.once('ready', resolve),
    );
    const repository = new RedisUserStateRepository(
      redis,
      { aggregatorNamespace: 'agg:', userVectorPrefix: 'emb:user:' },
      CONFORMANCE_DIMENSION,
    );
    const users = Array.from({ length: 12 }, (_, i) => `batch-user-${i}`);
    for (const [i, userId] of users.entries()) {
      await seed(redis, userId, {
        sellers: [[`seller-${i}`, i + 1]],
        categories: [],
        sellerCounts: {},
        shown: [],
        shownCounts: {},
        follows: [`followed-${i}`],
      });
    }
    const readAll = () => Promise.all(users.map((userId) => repository.read(userId, 1_000)));
    const check = (states: Awaited<ReturnType<typeof readAll>>) =>
      states.forEach((state, i) => {
        expect(state.degraded).toBe(false);
        expect([...state.signals.sellerWeights]).toEqual([[`seller-${i}`, i + 1]]);
        expect([...state.signals.follows]).toEqual([`followed-${i}`]);
      });
    // a server without the script (EVALSHA answers NOSCRIPT): each read falls back to EVAL;
    // SCRIPT FLUSH only drops the test server's script cache, clients reload on NOSCRIPT
    await redis.script('FLUSH');
    // one corked write per turn of the event loop, not a Pipeline (see the repository's flush)
    const corked = jest.spyOn(redis.stream, 'cork');
    const pipelined = jest.spyOn(redis, 'pipeline');
    check(await readAll());
    check(await readAll());
    expect(corked).toHaveBeenCalledTimes(2);
    expect(pipelined).not.toHaveBeenCalled();
  });
});

describe('RedisUserStateRepository without Redis', () => {
  it('answers degraded at once when the client is not ready', async () => {
    const redis = new Redis({ lazyConnect: true, enableOfflineQueue: false });
    const repository = new RedisUserStateRepository(
      redis,
      { aggregatorNamespace: 'agg:', userVectorPrefix: 'emb:user:' },
      CONFORMANCE_DIMENSION,
    );
    expect((await repository.read('u1', 50)).degraded).toBe(true);
    redis.disconnect();
  });
});
