import { decodeHeaders, decodeMessage, lagOf, nextOffset, toKafkaMessage } from './message.codec';

describe('message codec', () => {
  it('decodes header buffers to strings, last repeated value wins', () => {
    expect(
      decodeHeaders({
        a: Buffer.from('x'),
        b: [Buffer.from('1'), Buffer.from('2')],
        c: 'plain',
        d: undefined,
      }),
    ).toEqual({
      a: 'x',
      b: '2',
      c: 'plain',
      d: undefined,
    });
    expect(decodeHeaders(undefined)).toEqual({});
  });

  it('decodes a kafkajs message', () => {
    const decoded = decodeMessage({
      offset: '41',
      key: Buffer.from('k'),
      value: null,
      timestamp: '1700000000000',
      attributes: 0,
      headers: { h: Buffer.from('v') },
    });
    expect(decoded).toEqual({
      offset: '41',
      key: Buffer.from('k'),
      value: null,
      headers: { h: 'v' },
      timestamp: 1700000000000,
    });
  });

  it('keeps an explicit partition and drops absent headers', () => {
    expect(toKafkaMessage({ key: 'k', value: 'v', partition: 3 })).toEqual({
      key: 'k',
      value: 'v',
      partition: 3,
    });
  });

  it('computes next offsets and lag beyond 2^53', () => {
    expect(nextOffset('9007199254740993')).toBe('9007199254740994');
    expect(lagOf('10', '7')).toBe(3);
    expect(lagOf('10', '12')).toBe(0);
  });
});
