/**
 * The few Redis data types the in-memory twin needs, with Redis' ordering rules (sorted sets by
 * score, ties by member). No expiry: the one-process mode keeps ended streams until restart.
 */
export class InMemoryStore {
  readonly strings = new Map<string, string>();
  readonly hashes = new Map<string, Map<string, string>>();
  readonly zsets = new Map<string, Map<string, number>>();
  readonly sets = new Map<string, Set<string>>();

  hash(key: string): Map<string, string> {
    let h = this.hashes.get(key);
    if (!h) {
      h = new Map();
      this.hashes.set(key, h);
    }
    return h;
  }

  zset(key: string): Map<string, number> {
    let z = this.zsets.get(key);
    if (!z) {
      z = new Map();
      this.zsets.set(key, z);
    }
    return z;
  }

  set(key: string): Set<string> {
    let s = this.sets.get(key);
    if (!s) {
      s = new Set();
      this.sets.set(key, s);
    }
    return s;
  }

  hincr(key: string, field: string, by: number): void {
    const h = this.hash(key);
    h.set(field, String(Number(h.get(field) ?? '0') + by));
  }

  /** ZADD GT: set when absent or higher. */
  zaddGt(key: string, member: string, score: number): void {
    const z = this.zset(key);
    const old = z.get(member);
    if (old === undefined || score > old) z.set(member, score);
  }

  zincr(key: string, member: string, by: number): void {
    const z = this.zset(key);
    z.set(member, (z.get(member) ?? 0) + by);
  }

  /** Ascending by score, then member (Redis order). */
  zsorted(key: string): [string, number][] {
    const z = this.zsets.get(key);
    if (!z) return [];
    return [...z].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /** Removes the lowest-ranked members so that at most `max` remain; returns the removed ones. */
  ztrim(key: string, max: number): string[] {
    const z = this.zsets.get(key);
    if (!z || z.size <= max) return [];
    const evicted = this.zsorted(key)
      .slice(0, z.size - max)
      .map(([member]) => member);
    for (const member of evicted) z.delete(member);
    return evicted;
  }

  del(key: string): void {
    this.strings.delete(key);
    this.hashes.delete(key);
    this.zsets.delete(key);
    this.sets.delete(key);
  }

  keys(): string[] {
    return [...this.strings.keys(), ...this.hashes.keys(), ...this.zsets.keys(), ...this.sets.keys()];
  }
}
