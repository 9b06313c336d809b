import { float32ToBuffer } from '@app/vector-store';
import { testInfra, uniqueName } from '@app/testing';
import { Redis } from 'ioredis';
import { UserVectorRepository, userVectorExpiry } from './user-vector.repository';

const DAY_SEC = 86_400;

function vectorOf(i: number): Float32Array {
  return Float32Array.from([i, i + 0.5, -i, 1]);
}

describe('UserVectorRepository against a real Redis', () => {
  const infra = testInfra();
  // the deployed shape: the client adds REDIS_KEY_PREFIX, the repository the user-vector prefix
  const clientPrefix = `${uniqueName('uvr')}:`;
  let redis: Redis;
  let raw: Redis;

  beforeAll(() => {
    redis = new Redis(infra.redisUrl, { keyPrefix: clientPrefix });
    raw = new Redis(infra.redisUrl);
  });

  afterAll(async () => {
    const keys = await raw.keys(`${clientPrefix}*`);
    if (keys.length > 0) await raw.del(...keys);
    redis.disconnect();
    raw.disconnect();
  });

  it('keeps a vector 1 1/8 TTLs and renews it an eighth of a TTL after a publication', () => {
    expect(userVectorExpiry(30 * DAY_SEC)).toEqual({
      keyTtlSec: 30 * DAY_SEC + 3.75 * DAY_SEC,
      republishAfterMs: 3.75 * DAY_SEC * 1000,
      forgetAfterMs: 33.75 * DAY_SEC * 1000,
    });
    expect(userVectorExpiry(DAY_SEC + 1).keyTtlSec).toBe(DAY_SEC + 1 + Math.ceil((DAY_SEC + 1) / 8));
    expect(userVectorExpiry(0)).toEqual({
      keyTtlSec: 0,
      republishAfterMs: Number.POSITIVE_INFINITY,
      forgetAfterMs: Number.POSITIVE_INFINITY,
    });
  });

  it('writes every vector with the TTL, renews it on rewrite and deletes', async () => {
    const keyTtl = userVectorExpiry(30 * DAY_SEC).keyTtlSec;
    const users = new UserVectorRepository(redis, 'emb:user:', keyTtl);
    const upserts = Array.from({ length: 1_500 }, (_, i) => ({ userId: `u${i}`, vector: vectorOf(i) }));
    await users.write(upserts, []);

    for (const i of [0, 999, 1_000, 1_499]) {
      expect(await raw.getBuffer(`${clientPrefix}emb:user:u${i}`)).toEqual(float32ToBuffer(vectorOf(i)));
      const ttl = await raw.ttl(`${clientPrefix}emb:user:u${i}`);
      expect(ttl).toBeGreaterThan(keyTtl - 5);
      expect(ttl).toBeLessThanOrEqual(keyTtl);
    }
    expect(await users.read('u7')).toEqual(float32ToBuffer(vectorOf(7)));

    // a later publication renews the TTL (and replaces the vector); an erasure deletes with it
    await raw.expire(`${clientPrefix}emb:user:u1`, 60);
    await users.write([{ userId: 'u1', vector: vectorOf(42), bytes: float32ToBuffer(vectorOf(42)) }], ['u2']);
    expect(await raw.ttl(`${clientPrefix}emb:user:u1`)).toBeGreaterThan(keyTtl - 5);
    expect(await users.read('u1')).toEqual(float32ToBuffer(vectorOf(42)));
    expect(await raw.exists(`${clientPrefix}emb:user:u2`)).toBe(0);
    expect(await raw.exists(`${clientPrefix}emb:user:u3`)).toBe(1);
  });

  it('lets Redis expire a vector once its TTL has passed', async () => {
    const users = new UserVectorRepository(redis, 'short:', 1);
    await users.write([{ userId: 'gone', vector: vectorOf(1) }], []);
    expect(await users.read('gone')).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await users.read('gone')).toBeNull();
  });

  it('writes without a TTL when it is 0 (never)', async () => {
    const users = new UserVectorRepository(redis, 'forever:', 0);
    await users.write([{ userId: 'a', vector: vectorOf(3) }], []);
    expect(await raw.ttl(`${clientPrefix}forever:a`)).toBe(-1);
    expect(await users.read('a')).toEqual(float32ToBuffer(vectorOf(3)));
  });
});
