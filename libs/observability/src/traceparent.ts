import { randomBytes } from 'node:crypto';

/** W3C Trace Context (https://www.w3.org/TR/trace-context/), version 00. */
export interface TraceContext {
  /** 32 lowercase hex chars, not all zero. */
  traceId: string;
  /** 16 lowercase hex chars (the parent-id field), not all zero. */
  spanId: string;
  /** Trace flags; bit 0 = sampled. */
  flags: number;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** Parses a `traceparent` header; undefined for anything invalid (a bad header starts a new trace). */
export function parseTraceparent(header: string | undefined): TraceContext | undefined {
  if (header === undefined) return undefined;
  const match = TRACEPARENT.exec(header.trim().toLowerCase());
  if (!match) return undefined;
  const [, version, traceId, spanId, flags, rest] = match;
  // version ff is forbidden; version 00 has exactly four fields; later versions may append more
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, flags: parseInt(flags, 16) };
}

export function formatTraceparent(ctx: TraceContext): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${ctx.flags.toString(16).padStart(2, '0')}`;
}

function randomHex(bytes: number): string {
  // randomBytes can in theory return all zeros, which the spec forbids
  let hex = randomBytes(bytes).toString('hex');
  while (/^0+$/.test(hex)) hex = randomBytes(bytes).toString('hex');
  return hex;
}

/** A new trace (root span), sampled. */
export function createTraceContext(): TraceContext {
  return { traceId: randomHex(16), spanId: randomHex(8), flags: 1 };
}

/** The context a hop passes on: same trace, a new span id, same flags. */
export function childTraceContext(parent: TraceContext): TraceContext {
  return { traceId: parent.traceId, spanId: randomHex(8), flags: parent.flags };
}

/** Continues the incoming trace, or starts one when the header is missing or invalid. */
export function continueTrace(header: string | undefined): TraceContext {
  const parent = parseTraceparent(header);
  return parent ? childTraceContext(parent) : createTraceContext();
}

/** Fields to put in a log line's context. */
export function traceLogFields(ctx: TraceContext): { traceId: string; spanId: string } {
  return { traceId: ctx.traceId, spanId: ctx.spanId };
}
