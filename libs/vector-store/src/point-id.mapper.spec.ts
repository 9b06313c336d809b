import { toQdrantPointId } from './point-id.mapper';

describe('toQdrantPointId', () => {
  it('is a deterministic RFC 4122 version-5 UUID', () => {
    const id = toQdrantPointId('stream-42');
    expect(id).toBe(toQdrantPointId('stream-42'));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('is pinned: changing the namespace would orphan every stored point', () => {
    expect(toQdrantPointId('stream-42')).toBe('b72b0073-83a7-5112-9790-31d3ae39a9c7');
  });

  it('maps distinct ids to distinct UUIDs', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => toQdrantPointId(`s${i}`));
    expect(new Set(ids).size).toBe(ids.length);
  });
});
