import { TraceContext, childTraceContext, formatTraceparent, parseTraceparent } from '@app/observability';

/** W3C trace flags bit 0: the caller records this trace. */
const SAMPLED = 0x01;

export interface PropagatedTrace {
  /** The traceparent header of the enriched record; absent when none is passed on. */
  header?: string;
  /** This hop's span, only for a sampled trace: the caller logs it (one line per event). */
  span?: { context: TraceContext; parentSpanId: string };
}

/** Shared for the common case (no traceparent): no object per event. */
const NONE: PropagatedTrace = Object.freeze({});

/**
 * What the enriched record carries for an incoming `traceparent`. A sampled trace gets a child
 * span of this hop (same trace id, new span id, same flags), which the caller logs; an unsampled
 * one is passed on unchanged and not logged (a log line per event would cost more than the
 * enrichment itself); an absent or invalid one is not passed on.
 */
export function propagateTrace(incoming: string | undefined): PropagatedTrace {
  if (incoming === undefined) return NONE;
  const parent = parseTraceparent(incoming);
  if (!parent) return NONE;
  if ((parent.flags & SAMPLED) === 0) return { header: incoming };
  const context = childTraceContext(parent);
  return { header: formatTraceparent(context), span: { context, parentSpanId: parent.spanId } };
}
