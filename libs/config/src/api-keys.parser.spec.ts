import { parseApiKeys } from './api-keys.parser';

describe('parseApiKeys', () => {
  it('parses several keys per scope', () => {
    const parsed = parseApiKeys('ingest:k1,k2;read:k3;admin:k4');
    expect(parsed).toEqual({
      ok: true,
      keys: new Map([
        ['ingest', new Set(['k1', 'k2'])],
        ['read', new Set(['k3'])],
        ['admin', new Set(['k4'])],
      ]),
    });
  });

  it('tolerates spaces and one trailing separator', () => {
    const parsed = parseApiKeys(' read : a-1 , b_2 ; ');
    expect(parsed.ok && [...(parsed.keys.get('read') ?? [])]).toEqual(['a-1', 'b_2']);
  });

  it.each([
    ['k1,k2', 'no "scope:" prefix'],
    [':k1', 'no "scope:" prefix'],
    ['write:k1', 'unknown scope "write"'],
    ['read:k1;read:k2', 'lists scope "read" twice'],
    ['read:', 'empty or malformed key'],
    ['read:k1,,k2', 'empty or malformed key'],
    ['read:k 1', 'empty or malformed key'],
    ['read:k1;;admin:k2', 'empty group at position 2'],
    [';', 'empty group at position 1'],
  ])('rejects %p (%s)', (raw, why) => {
    const parsed = parseApiKeys(raw);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.error).toContain(why);
  });
});
