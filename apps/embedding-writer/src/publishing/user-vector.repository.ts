import { RedisClient } from '@app/redis';
import { float32ToBuffer } from '@app/vector-store';

/** Keys per MSET: bounded so one command never blocks Redis for long (~0.5 MB at 128-d). */
const MSET_KEYS = 1000;

/**
 * User vectors in Redis for the recommender's per-request read: one STRING per user,
 * key `<REDIS_KEY_PREFIX><userKeyPrefix><userId>` (default `emb:user:<userId>`), value = the unit
 * vector as float32 little-endian bytes (dimension x 4 bytes; 512 B at 128-d). No TTL: the vector
 * is the user's taste until it decays into a new one or the user is erased.
 */
export class UserVectorRepository {
  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
  ) {}

  keyOf(userId: string): string {
    return `${this.keyPrefix}${userId}`;
  }

  /**
   * One pipelined round trip for the whole flush: upserts as MSET commands of MSET_KEYS keys (one
   * command per chunk instead of one per user: the client's per-command cost, ~3-4 us, dominated),
   * deletes as one DEL. `bytes` = float32ToBuffer(vector) when the caller has it already.
   */
  async write(
    upserts: readonly { userId: string; vector: Float32Array; bytes?: Buffer }[],
    deletes: readonly string[],
  ): Promise<void> {
    if (upserts.length === 0 && deletes.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (let i = 0; i < upserts.length; i += MSET_KEYS) {
      const args: (string | Buffer)[] = [];
      for (const { userId, vector, bytes } of upserts.slice(i, i + MSET_KEYS)) {
        args.push(this.keyOf(userId), bytes ?? float32ToBuffer(vector));
      }
      pipeline.mset(...args);
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
