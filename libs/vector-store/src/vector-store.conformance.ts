// Behavioural contract every VectorStore must pass; run by the in-process spec always and by the
// Qdrant int-spec when QDRANT_URL is set. Not part of the lib's build (see tsconfig.lib.json).
import type { Filter, Payload } from './payload-filter.types';
import { VectorPointNotFoundError, VectorStoreRequestError } from './vector-store.error';
import type { ScoredPoint, VectorPoint, VectorStore } from './vector-store.interface';

export interface ConformanceSubject {
  store: VectorStore;
  dispose(): Promise<void>;
}

const DIM = 4;

// Cosine to the query [1, 0, 0, 0]: a 1, b 0.994, c 0.707, e 0.05, d 0, f -1 (no ties, so every
// implementation must return the same order).

/** Small hand-made points whose cosine order is easy to reason about. */
function fixture(): VectorPoint[] {
  return [
    {
      id: 'a',
      vector: [1, 0, 0, 0],
      payload: { live: true, category: 'games', startedAt: 100, tags: ['x', 'y'] },
    },
    {
      id: 'b',
      vector: [0.9, 0.1, 0, 0],
      payload: { live: true, category: 'music', startedAt: 200, tags: ['y'] },
    },
    {
      id: 'c',
      vector: [0.7, 0.7, 0, 0],
      payload: { live: false, category: 'games', startedAt: 300, tags: [] },
    },
    {
      id: 'd',
      vector: [0, 1, 0, 0],
      payload: { live: true, category: 'art', startedAt: 400, sellerId: null },
    },
    {
      id: 'e',
      vector: new Float32Array([0.05, 0, 1, 0]),
      payload: { live: true, category: 'music', startedAt: 500 },
    },
    { id: 'f', vector: [-1, 0, 0, 0], payload: { live: false, category: 'art', shop: { city: 'Oslo' } } },
  ];
}

const ids = (points: ScoredPoint[]): string[] => points.map((p) => p.id);
const cosine = (a: readonly number[], b: readonly number[]): number => {
  const dot = a.reduce((s, v, i) => s + v * b[i], 0);
  return dot / (Math.hypot(...a) * Math.hypot(...b));
};

export function describeVectorStoreConformance(
  name: string,
  factory: (dimension: number) => Promise<ConformanceSubject>,
): void {
  describe(`VectorStore conformance: ${name}`, () => {
    let subject: ConformanceSubject;
    let store: VectorStore;

    beforeEach(async () => {
      subject = await factory(DIM);
      store = subject.store;
      await store.ensureCollection();
      await store.ensureCollection(); // idempotent
      await store.upsert(fixture());
    });

    afterEach(async () => {
      await subject.dispose();
    });

    const searchIds = async (filter?: Filter, limit = 10): Promise<string[]> =>
      ids(await store.search({ vector: [1, 0, 0, 0], filter, limit }));

    it('upsert then search returns the top-k by cosine, best first, with payloads', async () => {
      const hits = await store.search({ vector: [2, 0, 0, 0], limit: 3 });
      expect(ids(hits)).toEqual(['a', 'b', 'c']);
      expect(hits[1].score).toBeCloseTo(cosine([1, 0, 0, 0], [0.9, 0.1, 0, 0]), 5);
      expect(hits[0].score).toBeCloseTo(1, 5);
      expect(hits[0].payload).toEqual({ live: true, category: 'games', startedAt: 100, tags: ['x', 'y'] });
      expect(await store.count()).toBe(6);
    });

    it('omits payloads when withPayload is false and accepts Float32Array queries', async () => {
      const hits = await store.search({
        vector: new Float32Array([0, 0, 1, 0]),
        limit: 1,
        withPayload: false,
      });
      expect(hits).toEqual([
        { id: 'e', score: expect.closeTo(cosine([0, 0, 1, 0], [0.05, 0, 1, 0]), 5) as number },
      ]);
    });

    it('replaces vector and payload on re-upsert, visible to the next search', async () => {
      await store.upsert([{ id: 'f', vector: [1, 0.01, 0, 0], payload: { live: true, category: 'news' } }]);
      const hits = await store.search({ vector: [1, 0, 0, 0], limit: 2 });
      expect(ids(hits)).toEqual(['a', 'f']);
      expect(hits[1].payload).toEqual({ live: true, category: 'news' });
      expect(await store.count()).toBe(6);
    });

    it('delete then search no longer returns the point; unknown ids are ignored', async () => {
      await store.delete(['a', 'nope']);
      expect(await searchIds(undefined, 2)).toEqual(['b', 'c']);
      expect(await store.count()).toBe(5);
      await store.upsert([{ id: 'a', vector: [1, 0, 0, 0], payload: { live: true } }]);
      expect(await searchIds(undefined, 1)).toEqual(['a']);
    });

    it('deleteWhere removes exactly the points the filter matches', async () => {
      await store.deleteWhere({ must: [{ key: 'startedAt', range: { lt: 300 } }] });
      expect((await searchIds(undefined, 10)).sort()).toEqual(['c', 'd', 'e', 'f'].sort());
      expect(await store.count()).toBe(4);
      // nothing matches: nothing changes
      await store.deleteWhere({ must: [{ key: 'category', match: { value: 'no-such-category' } }] });
      expect(await store.count()).toBe(4);
    });

    it('setPayload merges into existing points and filters see it; unknown ids are ignored', async () => {
      await store.setPayload('b', { live: false, viewers: 7 });
      await store.setPayload(['c', 'missing'], { category: 'news' });
      const [b] = await store.search({ vector: [0.9, 0.1, 0, 0], limit: 1 });
      expect(b.payload).toEqual({ live: false, category: 'music', startedAt: 200, tags: ['y'], viewers: 7 });
      expect(await searchIds({ must: [{ key: 'live', match: { value: true } }] })).toEqual(['a', 'e', 'd']);
      expect(await searchIds({ must: [{ key: 'category', match: { value: 'news' } }] })).toEqual(['c']);
      expect(await store.count()).toBe(6);
    });

    it('match value on keyword, bool and integer fields, and on any element of an array', async () => {
      expect(await searchIds({ must: [{ key: 'category', match: { value: 'games' } }] })).toEqual(['a', 'c']);
      expect(await searchIds({ must: [{ key: 'live', match: { value: false } }] })).toEqual(['c', 'f']);
      expect(await searchIds({ must: [{ key: 'startedAt', match: { value: 400 } }] })).toEqual(['d']);
      expect(await searchIds({ must: [{ key: 'tags', match: { value: 'y' } }] })).toEqual(['a', 'b']);
    });

    it('match any', async () => {
      const filter: Filter = { must: [{ key: 'category', match: { any: ['art', 'music'] } }] };
      expect(await searchIds(filter)).toEqual(['b', 'e', 'd', 'f']);
      expect(await searchIds({ must: [{ key: 'startedAt', match: { any: [100, 500] } }] })).toEqual([
        'a',
        'e',
      ]);
    });

    it('range with gt, gte, lt, lte bounds', async () => {
      const range = (r: { gt?: number; gte?: number; lt?: number; lte?: number }): Filter => ({
        must: [{ key: 'startedAt', range: r }],
      });
      expect(await searchIds(range({ gt: 200, lt: 500 }))).toEqual(['c', 'd']);
      expect(await searchIds(range({ gte: 200, lte: 500 }))).toEqual(['b', 'c', 'e', 'd']);
      expect(await searchIds(range({ lt: 200 }))).toEqual(['a']);
      expect(await searchIds(range({ gte: 500 }))).toEqual(['e']);
    });

    it('is_empty matches missing, null and empty-array fields', async () => {
      expect(await searchIds({ must: [{ is_empty: { key: 'sellerId' } }] })).toEqual([
        'a',
        'b',
        'c',
        'e',
        'd',
        'f',
      ]);
      expect(await searchIds({ must: [{ is_empty: { key: 'tags' } }] })).toEqual(['c', 'e', 'd', 'f']);
      expect(await searchIds({ must_not: [{ is_empty: { key: 'startedAt' } }] })).toEqual([
        'a',
        'b',
        'c',
        'e',
        'd',
      ]);
    });

    it('must_not, should, and nested filters combine like Qdrant', async () => {
      expect(await searchIds({ must_not: [{ key: 'category', match: { value: 'games' } }] })).toEqual([
        'b',
        'e',
        'd',
        'f',
      ]);
      const should: Filter = {
        should: [
          { key: 'category', match: { value: 'art' } },
          { key: 'startedAt', range: { lte: 100 } },
        ],
      };
      expect(await searchIds(should)).toEqual(['a', 'd', 'f']);
      const nested: Filter = {
        must: [{ key: 'live', match: { value: true } }, should],
        must_not: [{ key: 'category', match: { value: 'music' } }],
      };
      expect(await searchIds(nested)).toEqual(['a', 'd']);
      expect(await searchIds({ must: [{ key: 'shop.city', match: { value: 'Oslo' } }] })).toEqual(['f']);
    });

    it('answers ping once the collection exists', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('count with and without filters', async () => {
      expect(await store.count()).toBe(6);
      expect(await store.count({ must: [{ key: 'live', match: { value: true } }] })).toBe(4);
      expect(await store.count({ must: [{ key: 'category', match: { value: 'none' } }] })).toBe(0);
    });

    it('searchByPointId uses the stored vector, excludes the point itself and honours the filter', async () => {
      expect(ids(await store.searchByPointId({ id: 'a', limit: 2 }))).toEqual(['b', 'c']);
      const filtered = await store.searchByPointId({
        id: 'a',
        limit: 5,
        filter: { must: [{ key: 'category', match: { value: 'games' } }] },
        withPayload: false,
      });
      expect(filtered).toEqual([
        { id: 'c', score: expect.closeTo(cosine([1, 0, 0, 0], [0.7, 0.7, 0, 0]), 5) as number },
      ]);
      await expect(store.searchByPointId({ id: 'missing', limit: 3 })).rejects.toBeInstanceOf(
        VectorPointNotFoundError,
      );
    });

    it('rejects vectors of the wrong dimension without writing anything', async () => {
      const bad: Payload = { live: true };
      await expect(store.upsert([{ id: 'z', vector: [1, 0, 0], payload: bad }])).rejects.toBeInstanceOf(
        VectorStoreRequestError,
      );
      await expect(store.search({ vector: [1, 0], limit: 1 })).rejects.toBeInstanceOf(
        VectorStoreRequestError,
      );
      expect(await store.count()).toBe(6);
    });
  });
}
