import { EventType, NowcastEvent } from '../events/event-types';
import { InvalidMessageError, InvalidMessageIssue } from '../events/invalid-message.error';
import { ParseEventOptions, toObject, validateEventObject } from '../events/parse-event';
import { DEFAULT_TOPICS } from '../topics';
import { DEFAULT_MAX_EVENT_BYTES } from '../validation/limits';
import { validateClass } from '../validation/validate-class';
import { EnrichmentDto, StreamContextDto, UNKNOWN, Unknown } from './enrichment.dto';

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
 */
export function parseEnrichedEvent(input: unknown, options: ParseEventOptions = {}): EnrichedEvent {
  const plain = toObject(input, options.maxBytes ?? 2 * DEFAULT_MAX_EVENT_BYTES);
  const event = validateEventObject(plain, { maxPastMs: Infinity, maxFutureMs: Infinity, ...options }, '');
  const enrichmentPlain = plain.enrichment;
  if (typeof enrichmentPlain !== 'object' || enrichmentPlain === null || Array.isArray(enrichmentPlain)) {
    throw InvalidMessageError.of('invalid-field', 'enrichment', 'enrichment must be an object');
  }
  const validated = validateClass(EnrichmentDto, enrichmentPlain, 'enrichment.');
  const issues: InvalidMessageIssue[] = validated.issues;
  const enrichment: Enrichment = { ingestedAt: validated.value.ingestedAt };
  const stream = validated.value.stream;
  if (stream === UNKNOWN) {
    enrichment.stream = UNKNOWN;
  } else if (stream !== undefined && stream !== null && issues.length === 0) {
    const context = validateClass(StreamContextDto, stream, 'enrichment.stream.');
    issues.push(...context.issues);
    enrichment.stream = { ...context.value };
  }
  if (validated.value.followsSeller !== undefined) enrichment.followsSeller = validated.value.followsSeller;
  if (issues.length > 0) throw new InvalidMessageError('invalid-field', issues);
  return { ...event, enrichment };
}
