/**
 * Writes a flat MessagePack array of strings and numbers straight into one growing Buffer, for
 * the apply script to read with Redis' built-in `cmsgpack.unpack` (C: no Lua pattern matching, no
 * tonumber per token; numbers arrive as Lua numbers). The array header is written last, so tokens
 * are appended without knowing their count. Only what the script needs: str (utf-8), unsigned and
 * negative integers, float64.
 */
export class TokenWriter {
  private buf = Buffer.allocUnsafe(64 * 1024);
  /** 5 bytes reserved for the array32 header. */
  private pos = 5;
  private count = 0;

  /** A string token. */
  s(value: string): this {
    const n = value.length;
    // ASCII fast path (ids, currencies, decimal numbers): one byte per char, so the length is
    // known before writing; a JS loop beats Buffer.write's native call for strings this short
    if (n < 0x100) {
      this.ensure(2 + n);
      const header = n < 32 ? 1 : 2;
      const start = this.pos + header;
      const b = this.buf;
      let i = 0;
      for (; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) break;
        b[start + i] = c;
      }
      if (i === n) {
        if (header === 1) b[this.pos] = 0xa0 | n;
        else {
          b[this.pos] = 0xd9;
          b[this.pos + 1] = n;
        }
        this.pos = start + n;
        this.count++;
        return this;
      }
    }
    const bytes = Buffer.byteLength(value, 'utf8');
    this.ensure(5 + bytes);
    if (bytes < 32) this.buf[this.pos++] = 0xa0 | bytes;
    else if (bytes < 0x100) {
      this.buf[this.pos++] = 0xd9;
      this.buf[this.pos++] = bytes;
    } else if (bytes < 0x10000) {
      this.buf[this.pos++] = 0xda;
      this.buf.writeUInt16BE(bytes, this.pos);
      this.pos += 2;
    } else {
      this.buf[this.pos++] = 0xdb;
      this.buf.writeUInt32BE(bytes, this.pos);
      this.pos += 4;
    }
    this.pos += this.buf.write(value, this.pos, bytes, 'utf8');
    this.count++;
    return this;
  }

  /** A number token: exact (integers up to 2^53 as integers, the rest as float64). */
  n(value: number): this {
    this.ensure(9);
    const b = this.buf;
    if (Number.isInteger(value) && value >= 0 && value <= Number.MAX_SAFE_INTEGER) {
      if (value < 0x80) b[this.pos++] = value;
      else if (value < 0x10000) {
        b[this.pos++] = 0xcd;
        b.writeUInt16BE(value, this.pos);
        this.pos += 2;
      } else if (value < 0x100000000) {
        b[this.pos++] = 0xce;
        b.writeUInt32BE(value, this.pos);
        this.pos += 4;
      } else {
        b[this.pos++] = 0xcf;
        b.writeUInt32BE(Math.floor(value / 0x100000000), this.pos);
        b.writeUInt32BE(value >>> 0, this.pos + 4);
        this.pos += 8;
      }
    } else {
      b[this.pos++] = 0xcb;
      b.writeDoubleBE(value, this.pos);
      this.pos += 8;
    }
    this.count++;
    return this;
  }

  get length(): number {
    return this.count;
  }

  /** The array (header + tokens): a view of the writer's buffer, valid until its next write or reset. */
  finish(): Buffer {
    this.buf[0] = 0xdd;
    this.buf.writeUInt32BE(this.count, 1);
    return this.buf.subarray(0, this.pos);
  }

  /** The array as a Buffer of its own (exact size), then the writer is empty again, buffer kept. */
  take(): Buffer {
    const out = Buffer.from(this.finish());
    this.reset();
    return out;
  }

  /** Forgets every token (what a failed encode left too); the buffer, grown or not, is kept. */
  reset(): void {
    this.pos = 5;
    this.count = 0;
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }
}
