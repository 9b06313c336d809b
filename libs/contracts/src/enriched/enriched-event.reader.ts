import { EventEnvelopeDto } from '../events/event-envelope.dto';
import { EVENT_DATA_CLASSES, NowcastEvent, SCHEMA_VERSION, isEventType } from '../events/event-types';
import { ParseEventOptions } from '../events/parse-event';
import { DEFAULT_MAX_FUTURE_MS, DEFAULT_MAX_PAST_MS } from '../validation/limits';
import { validateClass } from '../validation/validate-class';
import { ClassReader, compileClassReader } from './class-reader';
import type { EnrichedEvent, Enrichment, StreamContext } from './enriched-event';
import { EnrichmentDto, StreamContextDto, UNKNOWN } from './enrichment.dto';

type Plain = Record<string, unknown>;

interface Readers {
  envelope: ClassReader<true>;
  data: Map<string, ClassReader<object>>;
  enrichment: ClassReader<Enrichment>;
  stream: ClassReader<StreamContext>;
}

/** A class the compiler cannot run goes through validateClass (CompiledValidator), verdict only. */
function readerOf<T extends object>(cls: new () => T, mode: 'instance' | 'plain'): ClassReader<T> {
  return (
    compileClassReader(cls, mode) ??
    ((plain) => {
      const validated = validateClass(cls, plain, '');
      if (validated.issues.length > 0) return null;
      return mode === 'plain' ? { ...validated.value } : validated.value;
    })
  );
}

let readers: Readers | undefined;

/** Compiled on first use (the decorators have all run by then). */
function compiledReaders(): Readers {
  if (readers) return readers;
  const data = new Map<string, ClassReader<object>>();
  for (const [type, cls] of Object.entries(EVENT_DATA_CLASSES))
    data.set(type, readerOf<object>(cls, 'instance'));
  const envelope =
    compileClassReader(EventEnvelopeDto, 'check') ??
    ((plain: Plain) => (validateClass(EventEnvelopeDto, plain, '').issues.length === 0 ? true : null));
  readers = {
    envelope,
    data,
    // a plain copy already shaped as the result: { ingestedAt, stream?, followsSeller? }
    enrichment: readerOf(EnrichmentDto, 'plain'),
    stream: readerOf(StreamContextDto, 'plain'),
  };
  return readers;
}

function hasOwn(object: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

function isPlainObject(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The occurredAt window as validateEventObject applies it (enriched default: no window). */
function withinWindow(occurredAt: number, options: ParseEventOptions): boolean {
  // validateEventObject gets { maxPastMs: Infinity, maxFutureMs: Infinity, ...options }: an own
  // property, even undefined (then the default), replaces the Infinity
  const ownFuture = hasOwn(options, 'maxFutureMs');
  const ownPast = hasOwn(options, 'maxPastMs');
  if (!ownFuture && !ownPast) return true;
  const now = options.nowMs ?? Date.now();
  const maxFuture = ownFuture ? (options.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS) : Infinity;
  const maxPast = ownPast ? (options.maxPastMs ?? DEFAULT_MAX_PAST_MS) : Infinity;
  return !(occurredAt > now + maxFuture) && !(occurredAt < now - maxPast);
}

/**
 * The enriched event when every class-validator rule passes, else null (the caller then runs the
 * reference parse for the reasons). Same result as the reference: the envelope's fields, `data`
 * as an instance of its class with the decorated properties only, `enrichment` rebuilt from the
 * decorated fields, `stream` a plain object. One object per level, no spreads, and no rule
 * checked twice (the envelope's `data` is an object once its IsObject passed).
 */
export function readEnrichedEvent(plain: Plain, options: ParseEventOptions): EnrichedEvent | null {
  const r = compiledReaders();
  const type = plain.type;
  if (!isEventType(type) || plain.schemaVersion !== SCHEMA_VERSION || r.envelope(plain) === null) return null;
  const occurredAt = plain.occurredAt as number;
  if (!withinWindow(occurredAt, options)) return null;
  // IsObject passed: a non-null non-array object, or a function (only in already-parsed input)
  const dataPlain = plain.data;
  if (typeof dataPlain !== 'object') return null;
  const data = (r.data.get(type) as ClassReader<object>)(dataPlain as Plain);
  const enrichmentPlain = plain.enrichment;
  if (data === null || !isPlainObject(enrichmentPlain)) return null;
  const enrichment = r.enrichment(enrichmentPlain);
  if (enrichment === null) return null;
  const stream = enrichment.stream;
  // null is valid (IsOptional) but the reference leaves it out: rare, let the reference build it
  if (stream === null) return null;
  if (stream !== undefined && stream !== UNKNOWN) {
    const context = r.stream(stream as unknown as Plain);
    if (context === null) return null;
    enrichment.stream = context; // same key: no new shape
  }
  return {
    eventId: plain.eventId as string,
    type,
    schemaVersion: SCHEMA_VERSION,
    occurredAt,
    data,
    enrichment,
  } as EnrichedEvent<NowcastEvent>;
}
