import { RATE_SLOTS } from '../aggregation/decay';
import { encodePackedRates } from './packed-rates.codec';
import {
  HOT_FIELDS,
  HotNumbers,
  PACKED_STREAM_BYTES,
  PACKED_STREAM_VERSION,
  PackedStream,
  decodePackedStream,
  encodePackedStream,
  isPackedStream,
  packedStreamString,
} from './packed-stream.codec';

const rates = Array.from(
  { length: RATE_SLOTS },
  (_, i) => [0, 0.1, Math.PI, 5e-324, -2.5, 1 / 3][i % 6] * (i + 1),
);
const hot = Object.fromEntries(
  HOT_FIELDS.map((f, i) => [f, i % 2 ? 1_764_158_400_123 + i : i / 7]),
) as HotNumbers;
const none = (): undefined => undefined;

describe('packed stream codec (format 2)', () => {
  it('round-trips the 27 sums and the hot numbers bit for bit, as a Buffer and as a latin1 string', () => {
    const p: PackedStream = { rates, hot };
    const buf = encodePackedStream(p);
    expect(buf).toHaveLength(PACKED_STREAM_BYTES);
    expect(PACKED_STREAM_BYTES).toBe(321);
    expect(buf[0]).toBe(2);
    expect(isPackedStream(buf)).toBe(true);
    // the script's slot order: score is the 40th double
    expect(buf.readDoubleLE(1 + 8 * 39)).toBe(hot.score);
    expect(buf.readDoubleLE(1 + 8 * 27)).toBe(hot.rt);
    expect(decodePackedStream(buf, none)).toEqual(p);
    expect(decodePackedStream(packedStreamString(p), none)).toEqual(p);
  });

  it('reads an earlier format from its text fields: binary or text sums, absent numbers as 0', () => {
    const fields: Record<string, string> = {
      chats: '7',
      velocity: (-1 / 3).toPrecision(17),
      rt: '1764158400000',
    };
    const read = (r: Buffer | string | undefined) => decodePackedStream(r, (name) => fields[name]);
    const expected = {
      ...Object.fromEntries(HOT_FIELDS.map((f) => [f, 0])),
      chats: 7,
      velocity: -1 / 3,
      rt: 1764158400000,
    };
    expect(isPackedStream(encodePackedRates(rates))).toBe(false);
    expect(read(encodePackedRates(rates))).toEqual({ rates, hot: expected });
    expect(read(rates.map((v) => v.toPrecision(17)).join(','))).toEqual({ rates, hot: expected });
    expect(read(undefined)).toEqual({ rates: new Array(RATE_SLOTS).fill(0), hot: expected });
  });

  it('refuses a truncated format-2 value', () => {
    const buf = encodePackedStream({ rates, hot });
    expect(() => decodePackedStream(buf.subarray(0, 300), none)).toThrow('300 bytes');
  });

  it('refuses a format newer than it reads instead of reading it as an older one', () => {
    const newer = Buffer.from(encodePackedStream({ rates, hot }));
    newer[0] = PACKED_STREAM_VERSION + 1;
    expect(() => decodePackedStream(newer, none)).toThrow('format 3, newer than this aggregator reads');
    expect(() => decodePackedStream('-0.5,1', none)).not.toThrow();
  });
});
