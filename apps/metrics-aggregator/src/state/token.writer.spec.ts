import { TokenWriter } from './token.writer';

/**
 * A minimal MessagePack reader for exactly what TokenWriter emits (the apply script reads the same
 * bytes with Redis' cmsgpack): array32 of str / uint / float64 tokens.
 */
function readTokens(buf: Buffer): (string | number)[] {
  expect(buf[0]).toBe(0xdd);
  const count = buf.readUInt32BE(1);
  let pos = 5;
  const out: (string | number)[] = [];
  const str = (len: number): string => {
    const s = buf.toString('utf8', pos, pos + len);
    pos += len;
    return s;
  };
  for (let i = 0; i < count; i++) {
    const tag = buf[pos++];
    if (tag < 0x80) out.push(tag);
    else if ((tag & 0xe0) === 0xa0) out.push(str(tag & 0x1f));
    else if (tag === 0xd9) out.push(str(buf[pos++]));
    else if (tag === 0xda) {
      const len = buf.readUInt16BE(pos);
      pos += 2;
      out.push(str(len));
    } else if (tag === 0xdb) {
      const len = buf.readUInt32BE(pos);
      pos += 4;
      out.push(str(len));
    } else if (tag === 0xcd) {
      out.push(buf.readUInt16BE(pos));
      pos += 2;
    } else if (tag === 0xce) {
      out.push(buf.readUInt32BE(pos));
      pos += 4;
    } else if (tag === 0xcf) {
      out.push(Number(buf.readBigUInt64BE(pos)));
      pos += 8;
    } else if (tag === 0xcb) {
      out.push(buf.readDoubleBE(pos));
      pos += 8;
    } else throw new Error(`unexpected tag 0x${tag.toString(16)}`);
  }
  expect(pos).toBe(buf.length);
  return out;
}

describe('TokenWriter', () => {
  it('writes strings of every length class, ASCII or not, byte-exact', () => {
    const strings = [
      '',
      'u-1',
      'x'.repeat(31),
      'y'.repeat(32),
      'z'.repeat(255),
      'w'.repeat(256),
      'v'.repeat(70_000),
      'café',
      'ü'.repeat(20),
      '直播',
      '0.123456789',
    ];
    const w = new TokenWriter();
    for (const s of strings) w.s(s);
    expect(w.length).toBe(strings.length);
    expect(readTokens(w.finish())).toEqual(strings);
  });

  it('writes numbers exactly: small and large integers, negatives, fractions', () => {
    const numbers = [
      0,
      1,
      127,
      128,
      65_535,
      65_536,
      4_294_967_295,
      4_294_967_296,
      1_764_150_000_123,
      Number.MAX_SAFE_INTEGER,
      2 ** 60,
      -1,
      -1_764_150_000_000,
      0.1,
      1e-300,
      Math.PI,
    ];
    const w = new TokenWriter();
    for (const n of numbers) w.n(n);
    expect(readTokens(w.finish())).toEqual(numbers);
  });

  it('grows past its initial buffer without losing tokens', () => {
    const w = new TokenWriter();
    const expected: (string | number)[] = [];
    for (let i = 0; i < 50_000; i++) {
      w.s(`user-${i}`).n(i * 1_000_003);
      expected.push(`user-${i}`, i * 1_000_003);
    }
    expect(readTokens(w.finish())).toEqual(expected);
  });

  it('hands out a copy and starts empty again, so a reused writer never alters what it gave', () => {
    const w = new TokenWriter();
    const first = w.s('stream-1').n(42).take();
    const second = w.s('user-7').take();
    expect(readTokens(first)).toEqual(['stream-1', 42]);
    expect(readTokens(second)).toEqual(['user-7']);
    w.s('left by a failed encode');
    w.reset();
    expect(readTokens(w.n(1).take())).toEqual([1]);
  });
});
