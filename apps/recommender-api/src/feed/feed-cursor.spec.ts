import { InvalidCursorError, MAX_CURSOR_IDS, decodeCursor, encodeCursor } from './feed-cursor';

describe('feed cursor', () => {
  it('round-trips the served ids', () => {
    expect(decodeCursor(encodeCursor(['s1', 'stream:2', 'x-3']))).toEqual(['s1', 'stream:2', 'x-3']);
    expect(decodeCursor(undefined)).toEqual([]);
  });

  it('keeps only the most recent ids', () => {
    const ids = Array.from({ length: MAX_CURSOR_IDS + 10 }, (_, i) => `s${i}`);
    const decoded = decodeCursor(encodeCursor(ids));
    expect(decoded).toHaveLength(MAX_CURSOR_IDS);
    expect(decoded[0]).toBe('s10');
  });

  it('rejects anything it did not produce', () => {
    expect(() => decodeCursor('not a cursor!')).toThrow(InvalidCursorError);
    expect(() => decodeCursor(Buffer.from('a,,b').toString('base64url'))).toThrow(InvalidCursorError);
    expect(() => decodeCursor('x'.repeat(20_000))).toThrow(InvalidCursorError);
  });
});
