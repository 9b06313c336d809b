/**
 * A small non-negative integer per distinct string in use (the sellers and the categories of the
 * live streams), reference-counted: a key is freed when its last user releases it and re-used by
 * the next new string, so keys stay below the number of strings in use (array-sized). The ranker
 * counts and looks up by these keys instead of hashing strings (LiveIndex).
 */
export class StringKeyPool {
  private readonly entries = new Map<string, { key: number; uses: number }>();
  private readonly freeKeys: number[] = [];
  private nextKey = 0;

  /** Strings in use. */
  get size(): number {
    return this.entries.size;
  }

  /** The key of `value`, -1 when it is not in use. */
  keyOf(value: string): number {
    return this.entries.get(value)?.key ?? -1;
  }

  /** One more use of `value`; its key (a new one for a string not in use). */
  acquire(value: string): number {
    const entry = this.entries.get(value);
    if (entry !== undefined) {
      entry.uses++;
      return entry.key;
    }
    const key = this.freeKeys.pop() ?? this.nextKey++;
    this.entries.set(value, { key, uses: 1 });
    return key;
  }

  /** One use of `value` fewer; its key is freed with the last one. */
  release(value: string): void {
    const entry = this.entries.get(value);
    if (entry === undefined) return;
    if (--entry.uses > 0) return;
    this.entries.delete(value);
    this.freeKeys.push(entry.key);
  }
}
