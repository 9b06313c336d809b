import { StreamState } from './aggregate-state.repository';
import { decodePackedStream } from './packed-stream.codec';

/** A hash as read: strings (the in-memory twin) or Buffers (Redis: `r` is binary). */
export type RawStreamHash = Record<string, string | Buffer | undefined>;

const text = (value: string | Buffer | undefined): string | undefined =>
  value === undefined || typeof value === 'string' ? value : value.toString();
const toNumber = (value: string | Buffer | undefined): number =>
  value === undefined ? 0 : Number(text(value));
const toNullableNumber = (value: string | Buffer | undefined): number | null =>
  value === undefined ? null : Number(text(value));

/** The stream hash (HGETALL) as a StreamState; null when the stream has no key. */
export function decodeStreamHash(id: string, hash: RawStreamHash): StreamState | null {
  const gmv: Record<string, number> = {};
  let fields = 0;
  for (const field in hash) {
    fields++;
    if (field.startsWith('gmv:')) gmv[field.slice(4)] = toNumber(hash[field]);
  }
  if (fields === 0) return null;
  const endReason = text(hash.endReason);
  // the hot numbers and the 27 sums: one binary field (format 2), or an earlier version's fields
  const { rates, hot } = decodePackedStream(hash.r, (name) => hash[name]);
  return {
    id,
    live: text(hash.live) === '1',
    sellerId: text(hash.sellerId) ?? null,
    title: text(hash.title) ?? null,
    category: text(hash.category) ?? null,
    language: text(hash.language) ?? null,
    startedAt: toNullableNumber(hash.startedAt),
    endedAt: toNullableNumber(hash.endedAt),
    endReason: endReason === 'ended' || endReason === 'removed' || endReason === 'expired' ? endReason : null,
    lastHeartbeatAt: hot.lastHeartbeatAt,
    lastActivityAt: hot.lastActivityAt,
    lastEventAt: hot.lastEventAt,
    viewers: hot.viewers,
    peakViewers: hot.peakViewers,
    uniqueViewers: hot.uniqueViewers,
    chats: hot.chats,
    bids: hot.bids,
    purchases: hot.purchases,
    giveaways: hot.giveaways,
    gmv,
    rt: hot.rt,
    rates,
    velocity: hot.velocity,
    score: hot.score,
    partition: toNullableNumber(hash.partition),
  };
}

/** ZRANGE ... WITHSCORES reply -> pairs. */
export function pairs(flat: string[]): [string, number][] {
  const out: [string, number][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i], Number(flat[i + 1])]);
  return out;
}
