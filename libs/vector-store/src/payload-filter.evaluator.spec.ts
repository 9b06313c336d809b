import { compileFilter, matchesFilter } from './payload-filter.evaluator';
import type { Filter, Payload } from './payload-filter.types';
import { VectorStoreRequestError } from './vector-store.error';

const stream: Payload = {
  live: true,
  category: 'games',
  viewers: 120,
  tags: ['speedrun', 'retro'],
  seller: { id: 's1', country: 'NO' },
  items: [{ price: 5 }, { price: 50 }],
  note: null,
  empty: [],
};

const m = (filter: Filter) => matchesFilter(stream, filter);

describe('matchesFilter', () => {
  it('treats an empty filter and empty clauses as match-all', () => {
    expect(m({})).toBe(true);
    expect(m({ must: [], should: [], must_not: [] })).toBe(true);
  });

  it('match value is strict about type and matches any array element', () => {
    expect(m({ must: [{ key: 'live', match: { value: true } }] })).toBe(true);
    expect(m({ must: [{ key: 'viewers', match: { value: '120' } }] })).toBe(false);
    expect(m({ must: [{ key: 'tags', match: { value: 'retro' } }] })).toBe(true);
    expect(m({ must: [{ key: 'missing', match: { value: 'x' } }] })).toBe(false);
  });

  it('match any', () => {
    expect(m({ must: [{ key: 'category', match: { any: ['music', 'games'] } }] })).toBe(true);
    expect(m({ must: [{ key: 'tags', match: { any: ['cooking'] } }] })).toBe(false);
  });

  it('range bounds are inclusive or exclusive as named, and ignore non-numbers', () => {
    expect(m({ must: [{ key: 'viewers', range: { gte: 120, lte: 120 } }] })).toBe(true);
    expect(m({ must: [{ key: 'viewers', range: { gt: 120 } }] })).toBe(false);
    expect(m({ must: [{ key: 'viewers', range: { lt: 120 } }] })).toBe(false);
    expect(m({ must: [{ key: 'category', range: { gte: 0 } }] })).toBe(false);
  });

  it('is_empty: missing, null and [] are empty; values are not', () => {
    for (const key of ['missing', 'note', 'empty']) expect(m({ must: [{ is_empty: { key } }] })).toBe(true);
    expect(m({ must: [{ is_empty: { key: 'tags' } }] })).toBe(false);
  });

  it('nested keys walk objects and arrays of objects', () => {
    expect(m({ must: [{ key: 'seller.country', match: { value: 'NO' } }] })).toBe(true);
    expect(m({ must: [{ key: 'items[].price', range: { gt: 40 } }] })).toBe(true);
    expect(m({ must: [{ key: 'items[].price', range: { gt: 60 } }] })).toBe(false);
  });

  it('combines must, should, must_not and nested filters', () => {
    const games = { key: 'category', match: { value: 'games' } } as const;
    const music = { key: 'category', match: { value: 'music' } } as const;
    expect(m({ should: [music, games] })).toBe(true);
    expect(m({ should: [music] })).toBe(false);
    expect(m({ must_not: [games] })).toBe(false);
    expect(m({ must: [{ must_not: [music] }, { should: [games] }] })).toBe(true);
    expect(m({ must: [games], should: [music] })).toBe(false);
  });

  it('rejects malformed conditions when compiling', () => {
    const bad = { must: [{ key: 'x', match: {} }] } as unknown as Filter;
    expect(() => compileFilter(bad)).toThrow(VectorStoreRequestError);
    expect(() => compileFilter({ must: [{ key: '', match: { value: 1 } }] })).toThrow(
      VectorStoreRequestError,
    );
  });
});
