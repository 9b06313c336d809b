import { BatchUpdate, LifecycleOp, StreamDelta, UserDelta } from '../aggregation/batch-update';

/**
 * The BatchUpdate as the apply script reads it: flat tokens, each followed by the unit separator
 * (\x1f), one string for the streams and one for the users, plus a JSON object of the (rare)
 * lifecycle ops keyed by streamId. Tokens are ids, categories, currencies (the contracts' safe
 * character sets: never \x1f) and numbers in JavaScript's shortest round-trip form, which Lua's
 * tonumber reads back exactly; free text (titles) only travels in the lifecycle JSON. Measured
 * against the former per-event JSON (cjson.decode into tables): ~2x less script time decoding,
 * and Redis receives the increments as the strings it stores (no string.format in the script).
 *
 * Stream record: id, hasLife, hb, act, last, T, chats, bids, purchases, giveaways,
 *   nGmv, (currency, amount)*, nRates (0 | 27), rate*, nPresence, (userId, activity, ended)*,
 *   nViewers, (userId, t, late)*, nBidders, (userId, t, late)*,
 *   nWatch, (userId, start, t, sellerId, category)*
 * User record: id, erase, nStreams, (streamId, w)*, nRecent, (streamId, t)*, nSellers,
 *   (sellerId, w)*, nCategories, (category, w)*, nCounts, (sellerId, chats, bids, purchases)*,
 *   nShown, (streamId, impressions, clicks, t)*, nFollows, (sellerId, 1 | 0)*
 */
export interface WireBatch {
  streams: string;
  users: string;
  /** '' when no stream of the batch has lifecycle ops. */
  life: string;
}

const S = '\x1f';

/** Token writers: string concatenation (V8 ropes) measured ~3x cheaper than arrays + join here. */
function entries<V>(record: Record<string, V> | undefined, each: (key: string, value: V) => string): string {
  if (record === undefined) return `0${S}`;
  let out = '';
  let n = 0;
  for (const key in record) {
    out += each(key, record[key]);
    n++;
  }
  return `${n}${S}${out}`;
}

function encodeStream(d: StreamDelta): string {
  let out = `${d.id}${S}${d.life.length > 0 ? 1 : 0}${S}${d.hb}${S}${d.act}${S}${d.last}${S}${d.T}${S}`;
  out += `${d.chats}${S}${d.bids}${S}${d.purchases}${S}${d.giveaways}${S}`;
  out += entries(d.gmv, (currency, amount) => `${currency}${S}${amount}${S}`);
  if (d.rates.every((v) => v === 0)) out += `0${S}`;
  else {
    out += `${d.rates.length}${S}`;
    for (const v of d.rates) out += `${v}${S}`;
  }
  out += `${d.presence.length}${S}`;
  for (const [user, activity, ended] of d.presence) out += `${user}${S}${activity}${S}${ended}${S}`;
  out += `${d.viewers.length}${S}`;
  for (const [user, at, late] of d.viewers) out += `${user}${S}${at}${S}${late}${S}`;
  out += `${d.bidders.length}${S}`;
  for (const [user, at, late] of d.bidders) out += `${user}${S}${at}${S}${late}${S}`;
  out += `${d.watch.length}${S}`;
  for (const [user, start, at, seller, category] of d.watch)
    out += `${user}${S}${start}${S}${at}${S}${seller}${S}${category}${S}`;
  return out;
}

/** A user's stream/seller/category increments are usually one and the same double: format it once. */
let lastValue = NaN;
let lastText = '';
function fmt(value: number): string {
  if (value !== lastValue) {
    lastValue = value;
    lastText = String(value);
  }
  return lastText;
}

const pair = (key: string, value: number): string => `${key}${S}${fmt(value)}${S}`;

function encodeUser(d: UserDelta): string {
  let out = `${d.id}${S}${d.erase ? 1 : 0}${S}`;
  out += entries(d.streams, pair);
  out += entries(d.recent, pair);
  out += entries(d.sellers, pair);
  out += entries(d.categories, pair);
  out += entries(d.sellerCounts, (id, [c, b, p]) => `${id}${S}${c}${S}${b}${S}${p}${S}`);
  out += entries(d.shown, (id, [i, c, at]) => `${id}${S}${i}${S}${c}${S}${at}${S}`);
  const follows = d.follows ?? [];
  out += `${follows.length}${S}`;
  for (const [seller, follow] of follows) out += `${seller}${S}${follow}${S}`;
  return out;
}

export function encodeBatch(update: BatchUpdate): WireBatch {
  let streams = '';
  const life: Record<string, LifecycleOp[]> = {};
  let hasLife = false;
  for (const d of update.streams) {
    streams += encodeStream(d);
    if (d.life.length > 0) {
      life[d.id] = d.life;
      hasLife = true;
    }
  }
  let users = '';
  for (const d of update.users) users += encodeUser(d);
  return { streams, users, life: hasLife ? JSON.stringify(life) : '' };
}
