import { NowcastEvent } from '@app/contracts';

/** The lifetime totals GET /v1/streams/{id} reports, in its shape (money in ten-thousandths). */
export interface LifetimeTotals {
  chats: number;
  bids: number;
  purchases: number;
  gmvByCurrency: Record<string, number>;
  giveawayEntries: number;
  uniqueViewers: number;
}

interface StreamTruth extends Omit<LifetimeTotals, 'uniqueViewers'> {
  viewers: Set<string>;
}

/**
 * Ground truth folded from what the test itself produced, independently of every service: each
 * eventId counts once (a resent or duplicated event does not count again), poison never counts.
 * Streams that got a stream.ended or stream.removed must end up not live.
 */
export class GroundTruth {
  private readonly seen = new Set<string>();
  private readonly streams = new Map<string, StreamTruth>();
  private readonly startedIds = new Set<string>();
  private readonly endedIds = new Set<string>();
  /** Accepted events (unique eventIds). */
  events = 0;
  /** Copies of an already counted eventId the test sent on purpose (client duplicates). */
  duplicatesSent = 0;

  /** Adds valid events (repeats of a known eventId are ignored: a producer retry). */
  add(events: readonly NowcastEvent[]): void {
    for (const event of events) {
      if (this.seen.has(event.eventId)) continue;
      this.seen.add(event.eventId);
      this.events++;
      this.fold(event);
    }
  }

  has(eventId: string): boolean {
    return this.seen.has(eventId);
  }

  get started(): string[] {
    return [...this.startedIds];
  }

  isEnded(streamId: string): boolean {
    return this.endedIds.has(streamId);
  }

  get endedCount(): number {
    return this.endedIds.size;
  }

  totals(streamId: string): LifetimeTotals {
    const s = this.streams.get(streamId);
    if (!s)
      return { chats: 0, bids: 0, purchases: 0, gmvByCurrency: {}, giveawayEntries: 0, uniqueViewers: 0 };
    const { viewers, ...counts } = s;
    return { ...counts, gmvByCurrency: { ...counts.gmvByCurrency }, uniqueViewers: viewers.size };
  }

  private stream(id: string): StreamTruth {
    let s = this.streams.get(id);
    if (!s) {
      s = { chats: 0, bids: 0, purchases: 0, gmvByCurrency: {}, giveawayEntries: 0, viewers: new Set() };
      this.streams.set(id, s);
    }
    return s;
  }

  private fold(event: NowcastEvent): void {
    switch (event.type) {
      case 'stream.started':
        this.startedIds.add(event.data.streamId);
        return;
      case 'stream.ended':
      case 'stream.removed':
        this.endedIds.add(event.data.streamId);
        return;
      case 'chat.message':
        this.stream(event.data.streamId).chats++;
        return;
      case 'bid.placed':
        this.stream(event.data.streamId).bids++;
        return;
      case 'giveaway.entered':
        this.stream(event.data.streamId).giveawayEntries++;
        return;
      case 'view.started':
        this.stream(event.data.streamId).viewers.add(event.data.userId);
        return;
      case 'purchase.completed': {
        const s = this.stream(event.data.streamId);
        s.purchases++;
        // money amounts have at most 4 fractional digits: x * 10^4 rounds to the exact integer
        const cents = Math.round(event.data.amount * 10_000);
        s.gmvByCurrency[event.data.currency] = (s.gmvByCurrency[event.data.currency] ?? 0) + cents;
        return;
      }
      case 'stream.updated':
      case 'stream.heartbeat':
      case 'stream.expired':
      case 'view.ended':
      case 'auction.started':
      case 'seller.followed':
      case 'seller.unfollowed':
      case 'rec.impression':
      case 'rec.clicked':
      case 'user.erased':
        return; // no lifetime total of a stream
    }
  }
}
