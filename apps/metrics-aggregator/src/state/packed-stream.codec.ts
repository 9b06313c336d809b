import { RATE_SLOTS } from '../aggregation/decay';
import { decodePackedRates } from './packed-rates.codec';

/**
 * The `r` field of a stream hash, format 2 (docs/key-layout.md): every number the apply script
 * reads or writes on each call, as one binary value: a version byte (2), then 40 little-endian
 * float64: the 27 decayed sums (packed-rates.codec.ts' order), then HOT_FIELDS in order.
 * Why: the script reads a stream with `HMGET live r` (2 fields) and writes it with `HSET r`
 * (1 field) instead of a 12-field HMGET and a many-field HSET of decimal text (the hash is a
 * hashtable, not a listpack, so each field is a dict lookup), and formats no `%.17g`/`%d`.
 * All these numbers are integers below 2^53 (times in epoch ms, counts) or doubles: exact.
 *
 * Earlier versions (read during the upgrade, a Recreate rollout) kept these numbers as decimal text fields beside `r`
 * (format 1: binary rates; before that, `%.17g` text rates): such a hash is read from its text
 * fields, and the first batch touching the stream rewrites it in format 2 and deletes them.
 */
export const PACKED_STREAM_VERSION = 2;

/** The numbers after the 27 sums, in slot order (slot 27 + index). */
export const HOT_FIELDS = [
  'rt',
  'lastActivityAt',
  'lastHeartbeatAt',
  'lastEventAt',
  'chats',
  'bids',
  'purchases',
  'giveaways',
  'uniqueViewers',
  'viewers',
  'peakViewers',
  'velocity',
  'score',
] as const;

export type HotField = (typeof HOT_FIELDS)[number];
export type HotNumbers = Record<HotField, number>;

/** Doubles in format 2: 27 sums + 13 hot numbers. */
export const PACKED_STREAM_SLOTS = RATE_SLOTS + HOT_FIELDS.length;
/** Bytes of format 2: version + 40 doubles (321). */
export const PACKED_STREAM_BYTES = 1 + 8 * PACKED_STREAM_SLOTS;

export interface PackedStream {
  rates: number[];
  hot: HotNumbers;
}

type Value = Buffer | string | undefined;

const textNumber = (value: Value): number =>
  value === undefined ? 0 : Number(typeof value === 'string' ? value : value.toString('latin1'));

const firstByte = (value: Value): number | undefined =>
  value === undefined || value.length === 0
    ? undefined
    : typeof value === 'string'
      ? value.charCodeAt(0)
      : value[0];

/** True when `r` is format 2 (the hot numbers are inside it, not in text fields). */
export function isPackedStream(r: Value): boolean {
  return firstByte(r) === PACKED_STREAM_VERSION;
}

/**
 * The sums and hot numbers of a stream hash: from `r` when it is format 2 (a Buffer reply, or
 * the twin's latin1 string), else from an earlier version's fields (`field(name)`; absent = 0).
 */
export function decodePackedStream(r: Value, field: (name: HotField) => Value): PackedStream {
  const version = firstByte(r);
  // a version byte above ours (text formats start with a digit or '-'): a newer aggregator wrote
  // it (the format gate, state-format.ts); reading it as an older format would publish zeros
  if (version !== undefined && version > PACKED_STREAM_VERSION && version < 0x20)
    throw new Error(`stream hash in format ${version}, newer than this aggregator reads`);
  if (isPackedStream(r)) {
    const buf = typeof r === 'string' ? Buffer.from(r, 'latin1') : (r as Buffer);
    if (buf.length !== PACKED_STREAM_BYTES) throw new Error(`packed stream of ${buf.length} bytes`);
    const rates = new Array<number>(RATE_SLOTS);
    for (let i = 0; i < RATE_SLOTS; i++) rates[i] = buf.readDoubleLE(1 + 8 * i);
    const hot = {} as HotNumbers;
    HOT_FIELDS.forEach((name, i) => (hot[name] = buf.readDoubleLE(1 + 8 * (RATE_SLOTS + i))));
    return { rates, hot };
  }
  const hot = {} as HotNumbers;
  for (const name of HOT_FIELDS) hot[name] = textNumber(field(name));
  return { rates: decodePackedRates(r), hot };
}

export function encodePackedStream(p: PackedStream): Buffer {
  const buf = Buffer.allocUnsafe(PACKED_STREAM_BYTES);
  buf[0] = PACKED_STREAM_VERSION;
  for (let i = 0; i < RATE_SLOTS; i++) buf.writeDoubleLE(p.rates[i] ?? 0, 1 + 8 * i);
  HOT_FIELDS.forEach((name, i) => buf.writeDoubleLE(p.hot[name], 1 + 8 * (RATE_SLOTS + i)));
  return buf;
}

/** Format 2 as the in-memory twin stores it (its hash values are strings, one char per byte). */
export function packedStreamString(p: PackedStream): string {
  return encodePackedStream(p).toString('latin1');
}
