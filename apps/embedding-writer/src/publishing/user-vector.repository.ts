import { RedisClient } from '@app/redis';
import { float32ToBuffer } from '@app/vector-store';

/** Keys per MSET: bounded so one command never blocks Redis for long (~0.5 MB at 128-d). */
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
  /** How long (ms) after its last publication an idle user's copies go (the key's TTL); Infinity = never. */
  forgetAfterMs: number;
}

/** `ttlSec` = the configured EMBEDDING_USER_VECTOR_TTL_SEC (0 = never). */
export function userVectorExpiry(ttlSec: number): UserVectorExpiry {
  if (ttlSec <= 0) {
    return {
      keyTtlSec: 0,
      republishAfterMs: Number.POSITIVE_INFINITY,
      forgetAfterMs: Number.POSITIVE_INFINITY,
    };
  }
  const renewal = Math.ceil(ttlSec / RENEWALS_PER_TTL);
  const keyTtlSec = ttlSec + renewal;
  return { keyTtlSec, republishAfterMs: renewal * 1000, forgetAfterMs: keyTtlSec * 1000 };
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
  }

  keyOf(userId: string): string {
    return `${this.keyPrefix}${userId}`;
  }

  /**
   * One pipelined round trip for the whole flush, deletes as one DEL. Without a TTL, upserts are
   * MSETs of KEYS_PER_COMMAND keys (ioredis' per-command cost, ~3-4 us, dominated one SET per
   * user). With one, Redis 7 has no MSET that sets it (8.4's MSETEX), so each key is a `SET ... EX`:
   * Redis spends ~6 us per key on those against ~4 for MSET and ~8.5 for the same SETs inside one
   * Lua call, which would also hold every other client for the whole call (~6.5 ms per 1,000 keys).
   * `bytes` = float32ToBuffer(vector) when the caller has it.
   */
  async write(
    upserts: readonly { userId: string; vector: Float32Array; bytes?: Buffer }[],
    deletes: readonly string[],
  ): Promise<void> {
    if (upserts.length === 0 && deletes.length === 0) return;
    const pipeline = this.redis.pipeline();
    if (this.keyTtl === '0') {
      for (let i = 0; i < upserts.length; i += KEYS_PER_COMMAND) {
        const args: (string | Buffer)[] = [];
        for (const { userId, vector, bytes } of upserts.slice(i, i + KEYS_PER_COMMAND)) {
          args.push(this.keyOf(userId), bytes ?? float32ToBuffer(vector));
        }
        pipeline.mset(...args);
      }
    } else {
      for (const { userId, vector, bytes } of upserts) {
        pipeline.set(this.keyOf(userId), bytes ?? float32ToBuffer(vector), 'EX', this.keyTtl);
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
