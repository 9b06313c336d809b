import { Enrichment, NowcastEvent, StreamContext, StreamLifecycle, UNKNOWN } from '@app/contracts';
import { Injectable } from '@nestjs/common';
import { EntitySnapshot, EntityWrite, StreamContextRecord } from '../entity-cache/stream-context.record';

export interface EnrichedBatch {
  /** What to add to each event, same order (the event itself is not copied: serialisers splice it in). */
  enrichments: Enrichment[];
  /** Entity-cache writes in batch order (stream contexts: the final one per stream). */
  writes: EntityWrite[];
  /** The lifecycle feed's records of the batch's stream starts and ends, in batch order. */
  lifecycle: StreamLifecycle[];
}

/** The stream and user an event is about, if any (engagement events have both). */
export function streamIdOf(event: NowcastEvent): string | undefined {
  const data = event.data as { streamId?: unknown };
  return typeof data.streamId === 'string' ? data.streamId : undefined;
}

export function userIdOf(event: NowcastEvent): string | undefined {
  const data = event.data as { userId?: unknown };
  return typeof data.userId === 'string' ? data.userId : undefined;
}

/**
 * Pure enrichment of one batch: applies lifecycle and follow events to a working copy of the
 * entity snapshot in batch order (so later events see earlier updates, and an event sees the
 * state after itself: a stream.started is enriched as live with age 0), and adds to each event
 * the context downstream needs. No I/O: the caller reads the snapshot and applies the writes.
 */
@Injectable()
export class EnrichmentService {
  enrichBatch(events: readonly NowcastEvent[], snapshot: EntitySnapshot, nowMs: number): EnrichedBatch {
    const streams = new Map(snapshot.streams);
    const touched = new Set<string>();
    // follow sets are copied on first change so the snapshot is never mutated
    const follows = new Map<string, ReadonlySet<string>>(snapshot.follows);
    const writes: EntityWrite[] = [];
    const lifecycle: StreamLifecycle[] = [];
    const enrichments = new Array<Enrichment>(events.length);
    for (let i = 0; i < events.length; i++) {
      const event = events[i];
      const record = lifecycleRecordOf(event, streams);
      if (record !== undefined) lifecycle.push(record);
      this.applyToState(event, streams, touched, follows, writes);
      enrichments[i] = this.enrichmentOf(event, streams, follows, nowMs);
    }
    for (const streamId of touched) {
      const record = streams.get(streamId);
      if (record) writes.push({ kind: 'put-stream', streamId, record });
    }
    return { enrichments, writes, lifecycle };
  }

  private enrichmentOf(
    event: NowcastEvent,
    streams: ReadonlyMap<string, StreamContextRecord>,
    follows: ReadonlyMap<string, ReadonlySet<string>>,
    nowMs: number,
  ): Enrichment {
    const enrichment: Enrichment = { ingestedAt: nowMs };
    const streamId = streamIdOf(event);
    if (streamId === undefined) return enrichment;
    const context = toStreamContext(streams.get(streamId), event.occurredAt);
    enrichment.stream = context ?? UNKNOWN;
    const userId = userIdOf(event);
    if (userId !== undefined) {
      enrichment.followsSeller = context ? (follows.get(userId)?.has(context.sellerId) ?? false) : null;
    }
    return enrichment;
  }

  private applyToState(
    event: NowcastEvent,
    streams: Map<string, StreamContextRecord>,
    touched: Set<string>,
    follows: Map<string, ReadonlySet<string>>,
    writes: EntityWrite[],
  ): void {
    switch (event.type) {
      case 'stream.started': {
        const { streamId, sellerId, category, language } = event.data;
        streams.set(streamId, { sellerId, category, language, live: true, startedAt: event.occurredAt });
        touched.add(streamId);
        return;
      }
      case 'stream.updated': {
        const { streamId, category, language } = event.data;
        if (category === undefined && language === undefined) return; // title/tags are not cached
        const previous = streams.get(streamId) ?? { live: true };
        streams.set(streamId, {
          ...previous,
          ...(category !== undefined ? { category } : {}),
          ...(language !== undefined ? { language } : {}),
        });
        touched.add(streamId);
        return;
      }
      case 'stream.ended':
      case 'stream.removed':
      case 'stream.expired': {
        const previous = streams.get(event.data.streamId);
        if (!previous || !previous.live) return;
        streams.set(event.data.streamId, { ...previous, live: false });
        touched.add(event.data.streamId);
        return;
      }
      case 'seller.followed':
      case 'seller.unfollowed': {
        const { userId, sellerId } = event.data;
        const next = new Set(follows.get(userId));
        if (event.type === 'seller.followed') next.add(sellerId);
        else next.delete(sellerId);
        follows.set(userId, next);
        writes.push({ kind: event.type === 'seller.followed' ? 'follow' : 'unfollow', userId, sellerId });
        return;
      }
      case 'user.erased':
        follows.delete(event.data.userId);
        writes.push({ kind: 'erase-user', userId: event.data.userId });
        return;
      case 'stream.heartbeat':
      case 'view.started':
      case 'view.ended':
      case 'chat.message':
      case 'auction.started':
      case 'bid.placed':
      case 'purchase.completed':
      case 'giveaway.entered':
      case 'rec.impression':
      case 'rec.clicked':
        return;
    }
  }
}

/**
 * The lifecycle record of a start or an end (from the state before the event: an end names the
 * run it ends). Every end is written, even of a stream not known live here: the feed may know it
 * from the metrics. Expiry is not: only the aggregator can tell whether the lease really ran out.
 */
export function lifecycleRecordOf(
  event: NowcastEvent,
  streams: ReadonlyMap<string, StreamContextRecord>,
): StreamLifecycle | undefined {
  if (event.type === 'stream.started') {
    const { streamId, sellerId, title, category, language } = event.data;
    const { eventId, occurredAt } = event;
    return {
      schemaVersion: 1,
      streamId,
      eventId,
      live: true,
      startedAt: occurredAt,
      sellerId,
      title,
      category,
      language,
    };
  }
  if (event.type !== 'stream.ended' && event.type !== 'stream.removed') return undefined;
  const { streamId } = event.data;
  const startedAt = streams.get(streamId)?.startedAt;
  return {
    schemaVersion: 1,
    streamId,
    eventId: event.eventId,
    live: false,
    ...(startedAt !== undefined ? { startedAt } : {}),
    endedAt: event.occurredAt,
    endReason: event.type === 'stream.ended' ? 'ended' : 'removed',
  };
}

/** A complete context, or undefined when the stream (or part of it) was never seen started. */
function toStreamContext(
  record: StreamContextRecord | undefined,
  occurredAt: number,
): StreamContext | undefined {
  if (
    !record ||
    record.sellerId === undefined ||
    record.category === undefined ||
    record.language === undefined
  )
    return undefined;
  return {
    sellerId: record.sellerId,
    category: record.category,
    language: record.language,
    live: record.live,
    ageMs: record.startedAt === undefined ? 0 : Math.max(0, occurredAt - record.startedAt),
  };
}
