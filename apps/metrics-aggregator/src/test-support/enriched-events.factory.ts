import { EnrichedEvent, EventDataMap, EventType, NowcastEvent, StreamContext, UNKNOWN } from '@app/contracts';
import { randomUUID } from 'node:crypto';

/** Stream context the factory attaches to events of a stream started through it. */
export class EnrichedEventFactory {
  private readonly contexts = new Map<
    string,
    Omit<StreamContext, 'ageMs' | 'live'> & { startedAt: number }
  >();
  private seq = 0;

  constructor(private readonly idPrefix = randomUUID().slice(0, 8)) {}

  /** Any event; stream context comes from an earlier `started` of the same stream. */
  event<T extends EventType>(
    type: T,
    occurredAt: number,
    data: EventDataMap[T],
    eventId?: string,
  ): EnrichedEvent {
    const raw = {
      eventId: eventId ?? `${this.idPrefix}-${++this.seq}`,
      type,
      schemaVersion: 1,
      occurredAt,
      data,
    } as NowcastEvent;
    return this.enrich(raw);
  }

  /** Adds what a trivial enricher knows: the stream's seller/category/language as of its start. */
  enrich(raw: NowcastEvent): EnrichedEvent {
    if (raw.type === 'stream.started') {
      const { streamId, sellerId, category, language } = raw.data;
      this.contexts.set(streamId, { sellerId, category, language, startedAt: raw.occurredAt });
    }
    const streamId = 'streamId' in raw.data ? raw.data.streamId : null;
    const ctx = streamId === null ? undefined : this.contexts.get(streamId);
    const stream: StreamContext | typeof UNKNOWN | undefined =
      streamId === null
        ? undefined
        : ctx
          ? {
              sellerId: ctx.sellerId,
              category: ctx.category,
              language: ctx.language,
              live: true,
              ageMs: Math.max(0, raw.occurredAt - ctx.startedAt),
            }
          : UNKNOWN;
    return { ...raw, enrichment: { ingestedAt: raw.occurredAt, ...(stream ? { stream } : {}) } };
  }

  started(
    streamId: string,
    t: number,
    sellerId = `seller-of-${streamId}`,
    category = 'watches',
    language = 'en',
  ): EnrichedEvent {
    return this.event('stream.started', t, {
      streamId,
      sellerId,
      title: `Show ${streamId}`,
      category,
      tags: [],
      language,
    });
  }
}
