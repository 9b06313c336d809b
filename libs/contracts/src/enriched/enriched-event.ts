import { EventType, NowcastEvent } from '../events/event-types';
import { ParseEventOptions, toObject } from '../events/parse-event';
import { DEFAULT_TOPICS } from '../topics';
import { DEFAULT_MAX_EVENT_BYTES } from '../validation/limits';
import { readEnrichedEvent } from './enriched-event.reader';
import { parseEnrichedObjectSlow } from './enriched-event.slow';
import { Unknown } from './enrichment.dto';

/** Default topic of enriched events (same key as the raw event). */
export const ENRICHED_EVENTS_TOPIC = DEFAULT_TOPICS.enriched;

export interface StreamContext {
  sellerId: string;
  category: string;
  language: string;
  live: boolean;
  /** ms since the stream started, at the event's occurredAt. */
  ageMs: number;
}

export interface Enrichment {
  /** Epoch ms at which the enricher processed the event. */
  ingestedAt: number;
  stream?: StreamContext | Unknown;
  followsSeller?: boolean | null;
}

/** A raw event plus what the enricher added. */
export type EnrichedEvent<E extends NowcastEvent = NowcastEvent> = E & { enrichment: Enrichment };
export type EnrichedEventOf<T extends EventType> = EnrichedEvent<Extract<NowcastEvent, { type: T }>>;

/**
 * Enriched events are re-read by rebuilds long after they happened, so by default no occurredAt
 * window applies here (the enricher enforced it at ingest); pass maxPastMs/maxFutureMs to opt in.
 * Bytes or a string are JSON-parsed once; a valid event takes the compiled reader (the same
 * decorators run as straight-line code, ~3x cheaper: bench/contracts-parse.bench.ts), an invalid
 * one the reference parse, which names every bad field.
 */
export function parseEnrichedEvent(input: unknown, options: ParseEventOptions = {}): EnrichedEvent {
  const plain = toObject(input, options.maxBytes ?? 2 * DEFAULT_MAX_EVENT_BYTES);
  return (
    readEnrichedEvent(plain, options) ??
    parseEnrichedObjectSlow(plain, { maxPastMs: Infinity, maxFutureMs: Infinity, ...options })
  );
}
