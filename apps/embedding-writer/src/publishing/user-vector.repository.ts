import { RedisClient } from '@app/redis';
import { float32ToBuffer } from '@app/vector-store';
import { Result } from 'ioredis';

/** Keys per write command: bounded so one command never blocks Redis for long (~0.5 MB at 128-d). */
const KEYS_PER_COMMAND = 1000;

/**
 * An active user's key is rewritten (its TTL renewed) at most this many times per TTL: the writer
 * republishes an unchanged vector once the user engages an eighth of the TTL after its last
 * publication, and the key lives an eighth longer than the TTL, so it outlives the last engagement
 * by at least the TTL.
 */
const RENEWALS_PER_TTL = 8;

/** How a user-vector TTL is kept: the key's own TTL and how often the writer renews it. */
export interface UserVectorExpiry {
  /** EX of each write, seconds; 0 = no TTL. */
  keyTtlSec: number;
  /** The model's `userRepublishAfterMs` (event time); Infinity when nothing expires. */
  republishAfterMs: number;
}

/** `ttlSec` = the configured EMBEDDING_USER_VECTOR_TTL_SEC (0 = never). */
export function userVectorExpiry(ttlSec: number): UserVectorExpiry {
  if (ttlSec <= 0) return { keyTtlSec: 0, republishAfterMs: Number.POSITIVE_INFINITY };
  const renewal = Math.ceil(ttlSec / RENEWALS_PER_TTL);
  return { keyTtlSec: ttlSec + renewal, republishAfterMs: renewal * 1000 };
}

/** Redis 7 has no MSET with a TTL (8.4's MSETEX): one SET ... EX per key inside one call. */
const SET_WITH_TTL_LUA = `
local ttl = ARGV[1]
for i = 1, #KEYS do redis.call('SET', KEYS[i], ARGV[i + 1], 'EX', ttl) end
return #KEYS`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** numKeys, the keys, the TTL (s), then one value per key. */
    writerSetUserVectors(numKeys: number, ...args: (string | Buffer)[]): Result<number, Context>;
  }
}

/**
 * User vectors in Redis for the recommender's per-request read: one STRING per user,
 * key `<REDIS_KEY_PREFIX><userKeyPrefix><userId>` (default `emb:user:<userId>`), value = the unit
 * vector as float32 little-endian bytes (dimension x 4 bytes; 512 B at 128-d). The vector is the
 * user's taste until it decays into a new one, the user is erased, or - with a TTL - the user has
 * been idle for the TTL (see `userVectorExpiry`).
 */
export class UserVectorRepository {
  private readonly keyTtl: string;

  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
    /** EX of every write, seconds (`userVectorExpiry(ttl).keyTtlSec`); 0 = none. */
    keyTtlSec = 0,
  ) {
    this.keyTtl = String(keyTtlSec);
    if (keyTtlSec > 0 && typeof (redis as Partial<RedisClient>).writerSetUserVectors !== 'function') {
      redis.defineCommand('writerSetUserVectors', { lua: SET_WITH_TTL_LUA });
    }
  }

  keyOf(userId: string): string {
    return `${this.keyPrefix}${userId}`;
  }

  /**
   * One pipelined round trip for the whole flush: upserts as one command per KEYS_PER_COMMAND keys
   * (MSET, or the SET ... EX script with a TTL: ioredis' per-command cost, ~3-4 us, dominated one
   * SET per user), deletes as one DEL. `bytes` = float32ToBuffer(vector) when the caller has it.
   */
  async write(
    upserts: readonly { userId: string; vector: Float32Array; bytes?: Buffer }[],
    deletes: readonly string[],
  ): Promise<void> {
    if (upserts.length === 0 && deletes.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (let i = 0; i < upserts.length; i += KEYS_PER_COMMAND) {
      const chunk = upserts.slice(i, i + KEYS_PER_COMMAND);
      if (this.keyTtl === '0') {
        const args: (string | Buffer)[] = [];
        for (const { userId, vector, bytes } of chunk)
          args.push(this.keyOf(userId), bytes ?? float32ToBuffer(vector));
        pipeline.mset(...args);
      } else {
        const args: (string | Buffer)[] = chunk.map(({ userId }) => this.keyOf(userId));
        args.push(this.keyTtl);
        for (const { vector, bytes } of chunk) args.push(bytes ?? float32ToBuffer(vector));
        pipeline.writerSetUserVectors(chunk.length, ...args);
      }
    }
    if (deletes.length > 0) pipeline.del(...deletes.map((userId) => this.keyOf(userId)));
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error !== null);
    if (failed?.[0]) throw failed[0];
  }

  async read(userId: string): Promise<Buffer | null> {
    return this.redis.getBuffer(this.keyOf(userId));
  }
}
