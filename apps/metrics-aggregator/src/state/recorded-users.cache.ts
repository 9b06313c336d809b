import { BatchUpdate } from '../aggregation/batch-update';
import { seenHourOf, writesEngagement } from './aggregate-state.repository';

/** Users remembered per hour at most (~100 MB of ids); past it the rest are recorded every batch. */
const DEFAULT_MAX_USERS = 1_000_000;

/**
 * The users this process's batches already recorded in `users:seen` at the latest hour, so the
 * apply script can leave them out of its `ZADD GT` - a no-op for them, but one that cost Redis
 * ~3-4 us per user and batch (~10 us per event in the mesh at 3,500 events/s, session 29). Only an
 * optimisation: a user left out of the list is recorded again, which changes nothing. Exact where
 * it matters: a user is remembered only after a batch that wrote their engagement keys was applied
 * at the latest hour, and forgotten when a batch erases them (the script removes them from
 * `users:seen`). A batch of an earlier hour (a lagging partition) skips nothing.
 */
export class RecordedUsersCache {
  private hour = Number.NEGATIVE_INFINITY;
  private readonly users = new Set<string>();

  constructor(private readonly maxUsers = DEFAULT_MAX_USERS) {}

  /** The batch's hour and the ids the script may skip (newline-free: the list is joined by them). */
  skippable(update: BatchUpdate): { hour: number; skip: string[] } {
    const hour = seenHourOf(update.maxEventTime);
    if (hour > this.hour) {
      this.hour = hour;
      this.users.clear();
    }
    const skip: string[] = [];
    // an erasure is forgotten before its batch runs, so no batch planned meanwhile (another
    // partition's) skips a user whose users:seen entry it removes
    for (const d of update.users) if (d.erase) this.users.delete(d.id);
    if (hour === this.hour && this.users.size > 0) {
      for (const d of update.users) if (this.users.has(d.id)) skip.push(d.id);
    }
    return { hour, skip };
  }

  /** After the script applied `update` (computed `skippable` at `hour`). */
  applied(update: BatchUpdate, hour: number): void {
    // the hour moved on meanwhile (another partition's batch): these records are of an older hour
    if (hour !== this.hour) return;
    for (const d of update.users) {
      if (d.erase) this.users.delete(d.id);
      if (!writesEngagement(d) || d.id.includes('\n')) continue;
      if (this.users.size < this.maxUsers) this.users.add(d.id);
    }
  }

  /** Forgets everything (the state was deleted: every user must be recorded again). */
  clear(): void {
    this.hour = Number.NEGATIVE_INFINITY;
    this.users.clear();
  }

  get size(): number {
    return this.users.size;
  }
}
