/** What an entry of an IdleSweptMap carries (maintained by the map's owner and the map). */
export interface IdleTracked {
  /** Last activity, epoch ms of event time (the owner keeps it current). */
  at: number;
  /** Event time at which the entry was last moved to the back of the map (the map keeps it). */
  placedAt: number;
}

/** Entries are moved to the back at most this often per idle period (bounds the moves per event). */
const MOVES_PER_IDLE_PERIOD = 8;

/**
 * A Map whose entries are dropped once idle for `idleMs` of event time, swept in O(dropped):
 * entries sit roughly in the order of their last activity, so a sweep reads only the front.
 *
 * Moving an entry to the back on every event would cost two hash operations per event; instead an
 * active entry is moved when it has been active for an eighth of the idle period since its last
 * move, and a sweep that meets an entry placed before the cutoff but active since moves it back
 * instead of dropping it. Event time, not the clock: a replay of the same events drops the same
 * entries, so a rebuilt model matches the one it replaces.
 */
export class IdleSweptMap<V extends IdleTracked> {
  private readonly entries = new Map<string, V>();
  private readonly moveAfterMs: number;

  /** `idleMs` Infinity = never drop. */
  constructor(readonly idleMs: number) {
    this.moveAfterMs = idleMs / MOVES_PER_IDLE_PERIOD;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Adds an entry at the back (its `placedAt` is set to its `at`). */
  add(key: string, value: V): void {
    this.entries.delete(key);
    value.placedAt = value.at;
    this.entries.set(key, value);
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  /** Call after raising an entry's `at`: moves it to the back when it is due (O(1)). */
  touched(key: string, value: V): void {
    if (value.at - value.placedAt >= this.moveAfterMs) this.add(key, value);
  }

  /**
   * Drops the entries idle since before `now - idleMs` (event time), calling `onDrop` for each;
   * returns how many were dropped. Reads the front of the map only.
   */
  sweep(now: number, onDrop?: (key: string, value: V) => void): number {
    const cutoff = now - this.idleMs;
    if (!Number.isFinite(cutoff)) return 0;
    let dropped = 0;
    // entries moved to the back during the loop are met again with placedAt >= cutoff: the loop ends
    for (const [key, value] of this.entries) {
      if (value.placedAt >= cutoff) break;
      if (value.at >= cutoff) {
        this.add(key, value);
        continue;
      }
      this.entries.delete(key);
      dropped++;
      onDrop?.(key, value);
    }
    return dropped;
  }
}
