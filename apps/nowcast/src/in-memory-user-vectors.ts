/**
 * The embedding writer's user vectors without Redis (one-process mode): the latest unit vector per
 * user, written by the writer (erasures delete them) and read by the recommender's in-memory
 * user-state twin (NowcastUserStateSource).
 */
export class InMemoryUserVectors {
  private readonly vectors = new Map<string, Float32Array>();

  get size(): number {
    return this.vectors.size;
  }

  vectorOf(userId: string): Float32Array | null {
    return this.vectors.get(userId) ?? null;
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
