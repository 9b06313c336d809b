/**
 * What the entity cache keeps per stream, from its lifecycle events. Fields a `stream.updated`
 * for a stream never seen started may leave unset; such a context counts as unknown.
 */
export interface StreamContextRecord {
  sellerId?: string;
  category?: string;
  language?: string;
  live: boolean;
  /** occurredAt of stream.started, epoch ms. */
  startedAt?: number;
}

/** A write the enrichment of one batch asks the entity cache for, applied in order. */
export type EntityWrite =
  | { kind: 'put-stream'; streamId: string; record: StreamContextRecord }
  | { kind: 'follow'; userId: string; sellerId: string }
  | { kind: 'unfollow'; userId: string; sellerId: string }
  | { kind: 'erase-user'; userId: string };

/** Stream contexts and follow sets as read at the start of a batch (absent = none). */
export interface EntitySnapshot {
  streams: ReadonlyMap<string, StreamContextRecord>;
  follows: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Compact JSON for Redis (one short string per stream). */
export function encodeStreamContext(record: StreamContextRecord): string {
  return JSON.stringify(record);
}

/** Tolerant of anything: a value that is not a context reads as no context (unknown). */
export function decodeStreamContext(raw: string | null): StreamContextRecord | undefined {
  if (raw === null) return undefined;
  try {
    const value = JSON.parse(raw) as unknown;
    if (typeof value !== 'object' || value === null) return undefined;
    const v = value as Record<string, unknown>;
    const record: StreamContextRecord = { live: v.live === true };
    if (typeof v.sellerId === 'string') record.sellerId = v.sellerId;
    if (typeof v.category === 'string') record.category = v.category;
    if (typeof v.language === 'string') record.language = v.language;
    if (typeof v.startedAt === 'number') record.startedAt = v.startedAt;
    return record;
  } catch {
    return undefined;
  }
}
