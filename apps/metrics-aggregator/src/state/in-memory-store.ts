/**
 * The few Redis data types the in-memory twin needs, with Redis' ordering rules (sorted sets by
 * score, ties by member) and its key expiry (EXPIRE, PERSIST, TTL): without expiry a process that
 * runs for days would keep every stream it ever saw.
 */
export class InMemoryStore {
  readonly strings = new Map<string, string>();
  readonly hashes = new Map<string, Map<string, string>>();
  readonly zsets = new Map<string, Map<string, number>>();
  readonly sets = new Map<string, Set<string>>();
  /**
   * Deadline per key, epoch ms, in the order they were set: the twin's only TTL is one setting
   * (an ended stream's), so that order is the deadlines' and the expired keys are a prefix.
   */
  private readonly deadlines = new Map<string, number>();

  constructor(private readonly clock: () => number = Date.now) {}

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
    this.deadlines.delete(key);
  }

  exists(key: string): boolean {
    return this.strings.has(key) || this.hashes.has(key) || this.zsets.has(key) || this.sets.has(key);
  }

  /** EXPIRE: the key goes `ttlSec` from now; nothing for a missing key. */
  expire(key: string, ttlSec: number): void {
    if (!this.exists(key)) return;
    this.deadlines.delete(key);
    this.deadlines.set(key, this.clock() + ttlSec * 1000);
  }

  /** PERSIST: the key no longer expires. */
  persist(key: string): void {
    this.deadlines.delete(key);
  }

  /** TTL: seconds left (rounded as Redis rounds), -1 without expiry, -2 for a missing key. */
  ttl(key: string): number {
    this.dropExpired();
    if (!this.exists(key)) return -2;
    const deadline = this.deadlines.get(key);
    return deadline === undefined ? -1 : Math.round((deadline - this.clock()) / 1000);
  }

  /**
   * Deletes the keys whose deadline has passed. Called before every read and write of the twin,
   * so an expired key is never seen, as Redis' lazy expiry guarantees.
   */
  dropExpired(): void {
    if (this.deadlines.size === 0) return;
    const now = this.clock();
    for (const [key, deadline] of this.deadlines) {
      if (deadline > now) return;
      this.del(key);
    }
  }

  keys(): string[] {
    this.dropExpired();
    return [...this.strings.keys(), ...this.hashes.keys(), ...this.zsets.keys(), ...this.sets.keys()];
  }
}
