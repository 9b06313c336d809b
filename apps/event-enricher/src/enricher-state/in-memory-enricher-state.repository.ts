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
  private readonly streams = new Map<string, Expiring<StreamContextRecord>>();
  private readonly follows = new Map<string, Set<string>>();

  constructor(private readonly clock: () => number = Date.now) {}

  claimAndLookup(lookup: StateLookup): Promise<StateSnapshot> {
    const now = this.clock();
    const previousMarks = lookup.claims.map(({ eventId, mark }) => {
      const existing = this.live(this.marks, eventId, now);
      if (existing !== undefined) return existing;
      this.marks.set(eventId, { value: mark, expiresAt: now + lookup.dedupeWindowSec * 1000 });
      return null;
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
    return Promise.resolve({ previousMarks, streams, follows });
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
