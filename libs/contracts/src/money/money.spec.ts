import {
  formatTenThousandths,
  fractionDigits,
  fromTenThousandths,
  isMoneyAmount,
  toTenThousandths,
} from './money';

describe('money', () => {
  it('converts exactly where float multiplication does not', () => {
    expect(1.005 * 10_000).not.toBe(10_050);
    expect(toTenThousandths(1.005)).toBe(10_050);
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(toTenThousandths(0.1) + toTenThousandths(0.2)).toBe(toTenThousandths(0.3));
    expect(toTenThousandths(12.3456)).toBe(123_456);
    expect(toTenThousandths(0.0001)).toBe(1);
    expect(toTenThousandths(0)).toBe(0);
    expect(toTenThousandths(99_999_999_999.9999)).toBe(999_999_999_999_999);
  });

  it('sums many amounts exactly', () => {
    let total = 0;
    for (let i = 0; i < 10_000; i++) total += toTenThousandths(0.1);
    expect(total).toBe(10_000 * 1_000);
  });

  it('rejects what is not a money amount', () => {
    for (const bad of [-0.01, 1.00001, NaN, Infinity, 1e-7, 1e12]) {
      expect(isMoneyAmount(bad)).toBe(false);
      expect(() => toTenThousandths(bad)).toThrow(RangeError);
    }
  });

  it('counts fractional digits on the shortest decimal form', () => {
    expect(fractionDigits(5)).toBe(0);
    expect(fractionDigits(27.5)).toBe(1);
    expect(fractionDigits(1e-7)).toBe(7);
    expect(fractionDigits(1.5e-7)).toBe(8);
    expect(fractionDigits(1e21)).toBe(0);
  });

  it('formats back', () => {
    expect(formatTenThousandths(123_450)).toBe('12.345');
    expect(formatTenThousandths(30_000)).toBe('3');
    expect(formatTenThousandths(30_000, 2)).toBe('3.00');
    expect(formatTenThousandths(123_456, 2)).toBe('12.35');
    expect(formatTenThousandths(1)).toBe('0.0001');
    expect(formatTenThousandths(-25_000)).toBe('-2.5');
    expect(fromTenThousandths(toTenThousandths(27.5))).toBe(27.5);
    expect(() => formatTenThousandths(1.5)).toThrow(RangeError);
  });
});
