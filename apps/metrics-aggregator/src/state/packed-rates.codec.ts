import { RATE_SLOTS } from '../aggregation/decay';

/**
 * Format 1 of the `r` field of a stream hash, written by the previous version and still
 * read (the current format 2 is packed-stream.codec.ts): the 27 decayed sums as one binary value,
 * a version byte then 27 little-endian float64 (what the apply script writes with
 * `struct.pack('<d...')`: exact, no decimal text to format or parse on either side).
 * The previous version wrote them as comma-separated `%.17g` text; a hash it wrote is still read
 * (upgrade): text starts with a digit or '-', never with the version byte, and the script
 * rewrites the field in binary the next time a batch touches the stream.
 */
export const PACKED_RATES_VERSION = 1;

/** Bytes of the binary form: version + 27 doubles. */
export const PACKED_RATES_BYTES = 1 + 8 * RATE_SLOTS;

export function encodePackedRates(rates: readonly number[]): Buffer {
  const buf = Buffer.allocUnsafe(PACKED_RATES_BYTES);
  buf[0] = PACKED_RATES_VERSION;
  for (let i = 0; i < RATE_SLOTS; i++) buf.writeDoubleLE(rates[i] ?? 0, 1 + 8 * i);
  return buf;
}

/**
 * The 27 sums of an `r` value: binary (as read with a Buffer reply, or as a latin1 string: one
 * char per byte, the in-memory twin's form), legacy text, or absent (all 0).
 */
export function decodePackedRates(value: Buffer | string | undefined): number[] {
  const rates = new Array<number>(RATE_SLOTS).fill(0);
  if (value === undefined || value.length === 0) return rates;
  const first = typeof value === 'string' ? value.charCodeAt(0) : value[0];
  if (first === PACKED_RATES_VERSION) {
    const buf = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
    if (buf.length !== PACKED_RATES_BYTES) throw new Error(`packed rates of ${buf.length} bytes`);
    for (let i = 0; i < RATE_SLOTS; i++) rates[i] = buf.readDoubleLE(1 + 8 * i);
    return rates;
  }
  // legacy: '%.17g' values joined with ',' (exact doubles)
  const text = typeof value === 'string' ? value : value.toString('latin1');
  text.split(',').forEach((v, i) => {
    if (i < RATE_SLOTS) rates[i] = Number(v);
  });
  return rates;
}

/** The binary form as the in-memory twin stores it (its hash values are strings). */
export function packedRatesString(rates: readonly number[]): string {
  return encodePackedRates(rates).toString('latin1');
}
