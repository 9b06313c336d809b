import { EntityWrite, StreamContextRecord } from '../entity-cache/stream-context.record';
import {
  EnricherStateRepository,
  StateLookup,
  StateSnapshot,
  streamTtlSec,
} from './enricher-state.repository';

interface Expiring<T> {
  value: T;
  /** Epoch ms. */
  expiresAt: number;
}

/** The in-memory twin (one-process mode without Redis, fast tests); same semantics, TTLs included. */
export class InMemoryEnricherStateRepository implements EnricherStateRepository {
  private readonly marks = new Map<string, Expiring<string>>();
  /** Drops already recorded, by `<eventId>\n<mark>` (the Redis twin's dropped:<id>:<mark>). */
  private readonly drops = new Map<string, Expiring<true>>();
  private readonly streams = new Map<string, Expiring<StreamContextRecord>>();
  private readonly follows = new Map<string, Set<string>>();

  constructor(private readonly clock: () => number = Date.now) {}

  claimAndLookup(lookup: StateLookup): Promise<StateSnapshot> {
    const now = this.clock();
    const expiresAt = now + lookup.dedupeWindowSec * 1000;
    const dropRecorded = new Array<boolean>(lookup.claims.length).fill(false);
    const previousMarks = lookup.claims.map(({ eventId, mark }, i) => {
      const existing = this.live(this.marks, eventId, now);
      if (existing === undefined) {
        this.marks.set(eventId, { value: mark, expiresAt });
        return null;
      }
      if (existing !== mark) {
        const dropKey = `${eventId}\n${mark}`;
        dropRecorded[i] = this.live(this.drops, dropKey, now) !== undefined;
        if (!dropRecorded[i]) this.drops.set(dropKey, { value: true, expiresAt });
      }
      return existing;
    });
    const streams = new Map<string, StreamContextRecord>();
    for (const streamId of lookup.streamIds) {
      const record = this.live(this.streams, streamId, now);
      if (record) streams.set(streamId, { ...record });
    }
    const follows = new Map<string, Set<string>>();
    for (const userId of lookup.userIds) {
      const set = this.follows.get(userId);
      if (set && set.size > 0) follows.set(userId, new Set(set));
    }
    return Promise.resolve({ previousMarks, dropRecorded, streams, follows });
  }

  apply(writes: readonly EntityWrite[]): Promise<void> {
    const now = this.clock();
    for (const write of writes) {
      switch (write.kind) {
        case 'put-stream':
          this.streams.set(write.streamId, {
            value: { ...write.record },
            expiresAt: now + streamTtlSec(write.record.live) * 1000,
          });
          break;
        case 'follow': {
          const set = this.follows.get(write.userId) ?? new Set<string>();
          set.add(write.sellerId);
          this.follows.set(write.userId, set);
          break;
        }
        case 'unfollow':
          this.follows.get(write.userId)?.delete(write.sellerId);
          break;
        case 'erase-user':
          this.follows.delete(write.userId);
          break;
      }
    }
    return Promise.resolve();
  }

  private live<T>(map: Map<string, Expiring<T>>, key: string, now: number): T | undefined {
    const entry = map.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      map.delete(key);
      return undefined;
    }
    return entry.value;
  }
}
