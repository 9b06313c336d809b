import { RedisClient } from '@app/redis';
import { float32ToBuffer } from '@app/vector-store';

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

  /** One pipelined round trip for the whole flush. */
  async write(
    upserts: readonly { userId: string; vector: Float32Array }[],
    deletes: readonly string[],
  ): Promise<void> {
    if (upserts.length === 0 && deletes.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const { userId, vector } of upserts) pipeline.set(this.keyOf(userId), float32ToBuffer(vector));
    for (const userId of deletes) pipeline.del(this.keyOf(userId));
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error !== null);
    if (failed?.[0]) throw failed[0];
  }

  async read(userId: string): Promise<Buffer | null> {
    return this.redis.getBuffer(this.keyOf(userId));
  }
}
