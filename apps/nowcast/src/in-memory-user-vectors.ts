/**
 * The embedding writer's user vectors without Redis (one-process mode): the latest unit vector per
 * user. The recommender reads user vectors from Redis only, so in memory they personalise nothing
 * yet; kept so the writer's publish path is the same and erasures delete them.
 */
export class InMemoryUserVectors {
  private readonly vectors = new Map<string, Float32Array>();

  get size(): number {
    return this.vectors.size;
  }

  write(
    upserts: readonly { userId: string; vector: Float32Array }[],
    deletes: readonly string[],
  ): Promise<void> {
    for (const { userId, vector } of upserts) this.vectors.set(userId, vector);
    for (const userId of deletes) this.vectors.delete(userId);
    return Promise.resolve();
  }
}
