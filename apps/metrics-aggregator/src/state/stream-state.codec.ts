import { RATE_SLOTS } from '../aggregation/decay';
import { StreamState } from './aggregate-state.repository';

const toNumber = (value: string | undefined): number => (value === undefined ? 0 : Number(value));
const toNullableNumber = (value: string | undefined): number | null =>
  value === undefined ? null : Number(value);

/** The stream hash (HGETALL) as a StreamState; null when the stream has no key. */
export function decodeStreamHash(id: string, hash: Record<string, string>): StreamState | null {
  if (Object.keys(hash).length === 0) return null;
  const gmv: Record<string, number> = {};
  const rates = new Array<number>(RATE_SLOTS).fill(0);
  for (const [field, value] of Object.entries(hash)) {
    if (field.startsWith('gmv:')) gmv[field.slice(4)] = Number(value);
  }
  // the 27 decayed sums, packed in one field (one HSET field per stream and batch)
  if (hash.r) hash.r.split(',').forEach((v, i) => (rates[i] = Number(v)));
  const endReason = hash.endReason;
  return {
    id,
    live: hash.live === '1',
    sellerId: hash.sellerId ?? null,
    title: hash.title ?? null,
    category: hash.category ?? null,
    language: hash.language ?? null,
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
    rates,
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
