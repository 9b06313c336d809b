/**
 * A JSON text written as UTF-8 bytes into one growing scratch buffer, then copied out once: the
 * feed page is ~7 KB of ~500 pieces, and as JS string concatenation each piece was a cons-string
 * node (then flattened, then encoded to UTF-8 again by the socket write): ~100 KB of young garbage a
 * page. Here constant pieces are copied from pre-encoded bytes, numbers written digit by digit,
 * and only the final copy is allocated (off the JS heap). One writer runs synchronously from
 * `reset` to `copy`, so a shared instance is safe.
 */
export class JsonBytesWriter {
  private buf: Buffer = Buffer.allocUnsafe(16 * 1024);
  private pos = 0;

  reset(): this {
    this.pos = 0;
    return this;
  }

  /** Bytes written so far, as a new Buffer (the scratch is reused by the next page). */
  copy(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  /** Pre-encoded bytes (a constant piece, a cached fragment). */
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** A string's UTF-8 bytes (already JSON text: a JSON.stringify result, digits, `null`). */
  text(s: string): void {
    this.room(3 * s.length);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /**
   * n / 10^4 in decimal as JSON.stringify writes that double, for an integer |n| < 1e12 (-0 as 0):
   * the integer part, then `.` and the fraction's digits without trailing zeros.
   */
  tenThousandths(n: number): void {
    this.room(16);
    const buf = this.buf;
    let p = this.pos;
    if (n < 0) {
      buf[p++] = MINUS;
      n = -n;
    }
    const whole = Math.floor(n / 1e4);
    let fraction = n - whole * 1e4;
    p = writeInteger(buf, p, whole);
    if (fraction !== 0) {
      buf[p++] = DOT;
      let divisor = 1000;
      while (fraction !== 0) {
        const digit = Math.floor(fraction / divisor);
        buf[p++] = ZERO + digit;
        fraction -= digit * divisor;
        divisor /= 10;
      }
    }
    this.pos = p;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }
}

const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;

/** The decimal digits of a non-negative integer below 2^53 at `p`; the position after them. */
function writeInteger(buf: Buffer, p: number, v: number): number {
  if (v < 10) {
    buf[p] = ZERO + v;
    return p + 1;
  }
  let digits = 1;
  for (let t = 10; t <= v; t *= 10) digits++;
  for (let i = p + digits - 1; i >= p; i--) {
    const q = Math.floor(v / 10);
    buf[i] = ZERO + (v - q * 10);
    v = q;
  }
  return p + digits;
}
