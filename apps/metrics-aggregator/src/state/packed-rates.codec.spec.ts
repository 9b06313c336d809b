import { RATE_SLOTS } from '../aggregation/decay';
import {
  PACKED_RATES_BYTES,
  decodePackedRates,
  encodePackedRates,
  packedRatesString,
} from './packed-rates.codec';

const awkward = Array.from(
  { length: RATE_SLOTS },
  (_, i) => [0, 1, 0.1, Math.PI, 1e-300, 5e-324, 1.7976931348623157e308, -2.5, 1 / 3][i % 9] * (i + 1),
);

describe('packed rates codec', () => {
  it('round-trips 27 doubles bit for bit, as a Buffer and as the twin’s latin1 string', () => {
    const buf = encodePackedRates(awkward);
    expect(buf).toHaveLength(PACKED_RATES_BYTES);
    expect(buf[0]).toBe(1);
    expect(decodePackedRates(buf)).toEqual(awkward);
    expect(decodePackedRates(packedRatesString(awkward))).toEqual(awkward);
    // what the script writes: struct.pack('<' .. 27 x 'd') after the version byte
    expect(buf.readDoubleLE(1 + 8 * 3)).toBe(awkward[3]);
  });

  it('reads the previous version’s %.17g text, as a string or a Buffer', () => {
    const text = awkward.map((v) => v.toPrecision(17)).join(',');
    expect(decodePackedRates(text)).toEqual(awkward);
    expect(decodePackedRates(Buffer.from(text))).toEqual(awkward);
  });

  it('reads an absent or empty field as zeros and refuses a truncated binary one', () => {
    expect(decodePackedRates(undefined)).toEqual(new Array(RATE_SLOTS).fill(0));
    expect(decodePackedRates('')).toEqual(new Array(RATE_SLOTS).fill(0));
    expect(() => decodePackedRates(encodePackedRates(awkward).subarray(0, 100))).toThrow('100 bytes');
  });
});
