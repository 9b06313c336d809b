/**
 * Money is carried on the wire as a decimal number in major units (e.g. 12.5 EUR) with at most
 * 4 fractional digits, and kept in every total as an integer count of 1/10,000 of the major unit,
 * so sums are exact (0.1 + 0.2 in ten-thousandths is 1000 + 2000 = 3000, never 3000.0000000004).
 */

/** Ten-thousandths per major unit. */
export const MONEY_SCALE = 10_000;
/** Fractional digits allowed on the wire. */
export const MONEY_MAX_FRACTION_DIGITS = 4;
/** Largest amount accepted (major units): keeps every ten-thousandths value a safe integer. */
export const MONEY_MAX_AMOUNT = 100_000_000_000;

/**
 * Number of fractional digits in the shortest decimal form of `value` (the form JSON gives back):
 * 12.3456 -> 4, 1e-7 -> 7, 5 -> 0. Counting on the string avoids float arithmetic.
 */
export function fractionDigits(value: number): number {
  const text = String(value);
  const e = text.indexOf('e');
  const mantissa = e === -1 ? text : text.slice(0, e);
  const exponent = e === -1 ? 0 : Number(text.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const mantissaDigits = dot === -1 ? 0 : mantissa.length - dot - 1;
  return Math.max(0, mantissaDigits - exponent);
}

/** True for a finite, non-negative amount with at most 4 fractional digits, within the cap. */
export function isMoneyAmount(value: unknown): value is number {
  return (
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= 0 &&
    value <= MONEY_MAX_AMOUNT &&
    fractionDigits(value) <= MONEY_MAX_FRACTION_DIGITS
  );
}

/**
 * Exact conversion of a major-unit amount (<= 4 fractional digits) to integer ten-thousandths.
 * Works on the decimal string, not on `amount * 10000` (1.005 * 10000 = 10049.999999999998). Throws RangeError for amounts outside the money rules.
 */
export function toTenThousandths(amount: number): number {
  if (!isMoneyAmount(amount)) {
    throw new RangeError(`not a money amount (finite, >= 0, <= 4 fractional digits): ${String(amount)}`);
  }
  const text = String(amount);
  if (text.includes('e')) {
    // Exponent forms only occur for tiny values here (>= 1e21 is above the cap): 1e-4 etc.
    return Math.round(amount * MONEY_SCALE);
  }
  const dot = text.indexOf('.');
  if (dot === -1) return amount * MONEY_SCALE;
  const whole = Number(text.slice(0, dot));
  const fraction = Number(text.slice(dot + 1).padEnd(MONEY_MAX_FRACTION_DIGITS, '0'));
  return whole * MONEY_SCALE + fraction;
}

/** Integer ten-thousandths back to a major-unit number (exact decimal, e.g. 30000 -> 3). */
export function fromTenThousandths(tenThousandths: number): number {
  return Number(formatTenThousandths(tenThousandths));
}

/**
 * Integer ten-thousandths as a decimal string in major units with the given fractional digits
 * (default: as few as needed, at most 4): 123450 -> "12.345", 30000 -> "3", with 2 -> "3.00".
 * Digits below the requested precision are rounded half up.
 */
export function formatTenThousandths(tenThousandths: number, fractionDigitsOut?: number): string {
  if (!Number.isSafeInteger(tenThousandths)) {
    throw new RangeError(`ten-thousandths must be a safe integer: ${tenThousandths}`);
  }
  const negative = tenThousandths < 0;
  let abs = Math.abs(tenThousandths);
  const digits = fractionDigitsOut ?? MONEY_MAX_FRACTION_DIGITS;
  if (digits < 0 || digits > MONEY_MAX_FRACTION_DIGITS || !Number.isInteger(digits)) {
    throw new RangeError(`fraction digits must be an integer in 0..4: ${digits}`);
  }
  const drop = 10 ** (MONEY_MAX_FRACTION_DIGITS - digits);
  abs = Math.round(abs / drop) * drop;
  const whole = Math.floor(abs / MONEY_SCALE);
  let fraction = String(abs % MONEY_SCALE)
    .padStart(MONEY_MAX_FRACTION_DIGITS, '0')
    .slice(0, digits);
  if (fractionDigitsOut === undefined) fraction = fraction.replace(/0+$/, '');
  const sign = negative && abs !== 0 ? '-' : '';
  return fraction.length > 0 ? `${sign}${whole}.${fraction}` : `${sign}${whole}`;
}
