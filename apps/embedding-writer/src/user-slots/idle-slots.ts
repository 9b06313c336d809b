import { PagedSlab } from './paged-slab';
import { SlotPool } from './slot-pool';

/** Entries are moved to the back at most this often per idle period (bounds the moves per event). */
const MOVES_PER_IDLE_PERIOD = 8;

/**
 * Keys (user ids) mapped to dense slot numbers, for state kept in PagedSlabs, with each slot's last
 * activity in event time; keys idle for `idleMs` are dropped by `sweep` in O(dropped) and their
 * slots reused. A slot's state is the owner's: it must reset a slot `add` hands out.
 *
 * The map holds keys roughly in the order of their last activity, so a sweep reads only its front.
 * Moving a key to the back on every event would cost two hash operations per event; instead an
 * active key is moved once it has been active for an eighth of the idle period since its last
 * move, and a sweep that meets a key placed before the cutoff but active since moves it back
 * instead of dropping it. Event time, not the clock: a replay of the same events drops the same
 * keys, so a rebuilt model matches the one it replaces.
 */
export class IdleSlots {
  private readonly slots = new Map<string, number>();
  /** Per slot: last activity and when its key was last moved to the back, epoch ms (event time). */
  private readonly times = new PagedSlab((n) => new Float64Array(n), 2);
  private readonly pool = new SlotPool();
  private readonly moveAfterMs: number;

  /** `idleMs` Infinity = never drop. */
  constructor(readonly idleMs: number) {
    this.moveAfterMs = idleMs / MOVES_PER_IDLE_PERIOD;
  }

  get size(): number {
    return this.slots.size;
  }

  slotOf(key: string): number | undefined {
    return this.slots.get(key);
  }

  /** A slot for a new key, active at `at` (a reused slot still holds its last owner's state). */
  add(key: string, at: number): number {
    const slot = this.pool.acquire();
    const times = this.times.page(slot);
    const offset = this.times.offset(slot);
    times[offset] = at;
    times[offset + 1] = at;
    this.slots.set(key, slot);
    return slot;
  }

  lastActiveAt(slot: number): number {
    return this.times.get(slot);
  }

  /** Records activity at `at` (kept when later than the last): O(1), moves the key when due. */
  touch(key: string, slot: number, at: number): void {
    const times = this.times.page(slot);
    const offset = this.times.offset(slot);
    if (at <= times[offset]) return;
    times[offset] = at;
    if (at - times[offset + 1] >= this.moveAfterMs) this.moveToBack(key, slot, at);
  }

  delete(key: string): boolean {
    const slot = this.slots.get(key);
    if (slot === undefined) return false;
    this.slots.delete(key);
    this.pool.release(slot);
    return true;
  }

  /**
   * Drops the keys idle since before `now - idleMs` (event time), calling `onDrop` for each before
   * its slot is freed; returns how many were dropped. Reads the front of the map only.
   */
  sweep(now: number, onDrop?: (key: string, slot: number) => void): number {
    const cutoff = now - this.idleMs;
    if (!Number.isFinite(cutoff)) return 0;
    let dropped = 0;
    // keys moved to the back during the loop are met again placed at >= cutoff: the loop ends
    for (const [key, slot] of this.slots) {
      const times = this.times.page(slot);
      const offset = this.times.offset(slot);
      if (times[offset + 1] >= cutoff) break;
      if (times[offset] >= cutoff) {
        this.moveToBack(key, slot, times[offset]);
        continue;
      }
      onDrop?.(key, slot);
      this.delete(key);
      dropped++;
    }
    return dropped;
  }

  private moveToBack(key: string, slot: number, at: number): void {
    this.slots.delete(key);
    this.slots.set(key, slot);
    this.times.set(slot, at, 1);
  }
}
