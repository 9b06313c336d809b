import { StreamState } from './aggregate-state.repository';
import { decodePackedRates } from './packed-rates.codec';

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
    lastHeartbeatAt: toNumber(hash.lastHeartbeatAt),
    lastActivityAt: toNumber(hash.lastActivityAt),
    lastEventAt: toNumber(hash.lastEventAt),
    viewers: toNumber(hash.viewers),
    peakViewers: toNumber(hash.peakViewers),
    uniqueViewers: toNumber(hash.uniqueViewers),
    chats: toNumber(hash.chats),
    bids: toNumber(hash.bids),
    purchases: toNumber(hash.purchases),
    giveaways: toNumber(hash.giveaways),
    gmv,
    rt: toNumber(hash.rt),
    // the 27 decayed sums, packed in one field (one HSET field per stream and batch)
    rates: decodePackedRates(hash.r),
    velocity: toNumber(hash.velocity),
    score: toNumber(hash.score),
    partition: toNullableNumber(hash.partition),
  };
}

/** ZRANGE ... WITHSCORES reply -> pairs. */
export function pairs(flat: string[]): [string, number][] {
  const out: [string, number][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i], Number(flat[i + 1])]);
  return out;
}
