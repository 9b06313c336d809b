import { NowcastEvent } from '@app/contracts';
import { LiveCandidate } from './ranker.interface';

/**
 * Which streams are live in event time: from `stream.started` until ended/removed/expired, or
 * until `leaseMs` pass without a heartbeat or engagement (what the aggregator's sweeper decides
 * live; a raw log has no `stream.expired` for silently dead streams).
 */
export class LiveSetTracker {
  private readonly live = new Map<string, { candidate: LiveCandidate; lastSeen: number }>();

  constructor(private readonly leaseMs: number) {}

  observe(event: NowcastEvent): void {
    if (event.type === 'stream.started') {
      const d = event.data;
      const candidate: LiveCandidate = {
        streamId: d.streamId,
        sellerId: d.sellerId,
        category: d.category,
        language: d.language,
        title: d.title,
        tags: d.tags,
        startedAt: event.occurredAt,
      };
      this.live.set(d.streamId, { candidate, lastSeen: event.occurredAt });
      return;
    }
    if (event.type === 'stream.ended' || event.type === 'stream.removed' || event.type === 'stream.expired') {
      this.live.delete(event.data.streamId);
      return;
    }
    const streamId = 'streamId' in event.data ? event.data.streamId : undefined;
    const entry = streamId === undefined ? undefined : this.live.get(streamId);
    if (!entry) return;
    // any stream event or engagement renews the lease
    entry.lastSeen = Math.max(entry.lastSeen, event.occurredAt);
    if (event.type === 'stream.updated') {
      const d = event.data;
      entry.candidate = {
        ...entry.candidate,
        ...(d.title !== undefined ? { title: d.title } : {}),
        ...(d.category !== undefined ? { category: d.category } : {}),
        ...(d.language !== undefined ? { language: d.language } : {}),
        ...(d.tags !== undefined ? { tags: d.tags } : {}),
      };
    }
  }

  /** Streams live at `now` (lease not run out); drops the expired ones. */
  candidates(now: number): LiveCandidate[] {
    const out: LiveCandidate[] = [];
    for (const [id, entry] of this.live) {
      if (now - entry.lastSeen > this.leaseMs) this.live.delete(id);
      else out.push(entry.candidate);
    }
    return out;
  }

  sellerOf(streamId: string): string | undefined {
    return this.live.get(streamId)?.candidate.sellerId;
  }
}
