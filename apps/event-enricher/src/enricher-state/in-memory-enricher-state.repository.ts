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

/** How often the stream contexts are scanned for expired ones (they are few; marks go as they expire). */
const STREAM_SWEEP_INTERVAL_MS = 60_000;

/** The in-memory twin (one-process mode without Redis, fast tests); same semantics, TTLs included. */
export class InMemoryEnricherStateRepository implements EnricherStateRepository {
  /** In claim order, which is expiry order: every mark gets the same dedupe window. */
  private readonly marks = new Map<string, Expiring<string>>();
  /** Drops already recorded, by `<eventId>\n<mark>` (the Redis twin's dropped:<id>:<mark>). */
  private readonly drops = new Map<string, Expiring<true>>();
  private readonly streams = new Map<string, Expiring<StreamContextRecord>>();
  private readonly follows = new Map<string, Set<string>>();
  private streamsSweptAt: number;

  constructor(private readonly clock: () => number = Date.now) {
    this.streamsSweptAt = clock();
  }

  /** Entries held (expired ones included until swept): what the twin's memory grows with. */
  get held(): { marks: number; drops: number; streams: number } {
    return { marks: this.marks.size, drops: this.drops.size, streams: this.streams.size };
  }

  claimAndLookup(lookup: StateLookup): Promise<StateSnapshot> {
    const now = this.clock();
    this.dropExpired(now);
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

  /**
   * Redis' active expiry: an event id is claimed once and rarely looked up again, so reading
   * alone (live) would keep every id ever claimed.
   */
  private dropExpired(now: number): void {
    dropExpiredPrefix(this.marks, now);
    dropExpiredPrefix(this.drops, now);
    if (now - this.streamsSweptAt < STREAM_SWEEP_INTERVAL_MS) return;
    this.streamsSweptAt = now;
    for (const [streamId, entry] of this.streams) if (entry.expiresAt <= now) this.streams.delete(streamId);
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

/** Deletes the expired entries at the front of a map kept in expiry order. */
function dropExpiredPrefix<T>(map: Map<string, Expiring<T>>, now: number): void {
  for (const [key, entry] of map) {
    if (entry.expiresAt > now) return;
    map.delete(key);
  }
}
