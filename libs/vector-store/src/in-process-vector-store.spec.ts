import { InProcessVectorStore } from './in-process-vector-store.adapter';
import { describeVectorStoreConformance } from './vector-store.conformance';

describeVectorStoreConformance('InProcessVectorStore (exact search)', (dimension) =>
  Promise.resolve({ store: new InProcessVectorStore({ dimension }), dispose: () => Promise.resolve() }),
);

// Threshold 0 builds the HNSW graph at the first upsert and routes every search through it, so
// the same contract proves updates, deletes and filters on the graph path.
describeVectorStoreConformance('InProcessVectorStore (HNSW for every search)', (dimension) =>
  Promise.resolve({
    store: new InProcessVectorStore({ dimension, exactSearchThreshold: 0, initialCapacity: 2 }),
    dispose: () => Promise.resolve(),
  }),
);

describe('InProcessVectorStore planner details', () => {
  it('returns a point once when several postings of an indexed array field hold it', async () => {
    const store = new InProcessVectorStore({ dimension: 2, indexedFields: ['tags'] });
    await store.upsert([
      { id: 'both', vector: [1, 0], payload: { tags: ['a', 'b'] } },
      { id: 'a-only', vector: [0.5, 0.5], payload: { tags: ['a'] } },
      { id: 'none', vector: [1, 0.1], payload: { tags: ['c'] } },
    ]);
    const hits = await store.search({
      vector: [1, 0],
      limit: 5,
      filter: { must: [{ key: 'tags', match: { any: ['a', 'b'] } }] },
    });
    expect(hits.map((h) => h.id)).toEqual(['both', 'a-only']);
    expect(await store.count({ must: [{ key: 'tags', match: { any: ['a', 'b'] } }] })).toBe(2);
  });

  it('auto threshold builds the graph only past max(2000, 25 * sqrt(n)) points', async () => {
    const store = new InProcessVectorStore({ dimension: 2 });
    const points = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => ({
        id: `p${from + i}`,
        vector: [1, (from + i) / 1000],
        payload: {},
      }));
    await store.upsert(points(0, 2000));
    expect(store.stats()).toMatchObject({ annActive: false, exactSearchThreshold: 2000 });
    await store.upsert([{ id: 'north', vector: [0, 1], payload: {} }]);
    expect(store.stats().annActive).toBe(true);
    const [best] = await store.search({ vector: [0, 1], limit: 1 });
    expect(best.id).toBe('north');
  });

  it('hands out the stored payload without a copy, frozen: a caller cannot change the store', async () => {
    const store = new InProcessVectorStore({ dimension: 2 });
    const payload = { live: true, tags: ['a'] };
    await store.upsert([{ id: 'p', vector: [1, 0], payload }]);
    payload.tags.push('changed by the writer'); // the store keeps its own copy
    const [first] = await store.search({ vector: [1, 0], limit: 1 });
    const [second] = await store.search({ vector: [1, 0], limit: 1 });
    expect(first.payload).toBe(second.payload);
    expect(first.payload).toEqual({ live: true, tags: ['a'] });
    // (a TypeError of the realm that froze it, hence matched by message)
    expect(() => Object.assign(first.payload!, { live: false })).toThrow(/read only|read-only/);
    expect(() => (first.payload!.tags as string[]).push('x')).toThrow(/not extensible/);
    await store.setPayload('p', { live: false });
    const [merged] = await store.search({ vector: [1, 0], limit: 1 });
    expect(merged.payload).toEqual({ live: false, tags: ['a'] });
    expect(Object.isFrozen(merged.payload)).toBe(true);
  });

  it('searchLabeled: the hits of search, each with its point label and the store own id string', async () => {
    const store = new InProcessVectorStore({ dimension: 2 });
    await store.upsert([
      { id: 'a', vector: [1, 0], payload: { n: 1 } },
      { id: 'b', vector: [0.8, 0.6], payload: { n: 2 } },
      { id: 'c', vector: [0, 1], payload: { n: 3 } },
    ]);
    const request = { vector: [1, 0.1], limit: 2 };
    const labeled = await store.searchLabeled(request);
    expect(labeled.map(({ id, score, payload }) => ({ id, score, payload }))).toEqual(
      await store.search(request),
    );
    const again = await store.searchLabeled(request);
    expect(again.map((h) => h.label)).toEqual(labeled.map((h) => h.label));
    expect(again[0].id).toBe(labeled[0].id);
    expect(new Set(labeled.map((h) => h.label)).size).toBe(2);
    // a deleted point's label may name the next point stored
    await store.delete(['a']);
    await store.upsert([{ id: 'd', vector: [1, 0], payload: {} }]);
    const [top] = await store.searchLabeled({ ...request, limit: 1, withPayload: false });
    expect(top).toEqual({
      id: 'd',
      score: expect.any(Number) as number,
      payload: undefined,
      label: labeled[0].label,
    });
  });
});

describe('InProcessVectorStore graph updates', () => {
  it('a payload-only upsert leaves the graph alone; a move goes through the update tiers', async () => {
    const store = new InProcessVectorStore({ dimension: 3, exactSearchThreshold: 0 });
    await store.upsert([
      { id: 'a', vector: [1, 0, 0], payload: { live: true } },
      { id: 'b', vector: [0, 1, 0], payload: { live: true } },
      { id: 'c', vector: [0, 0, 1], payload: { live: true } },
    ]);
    await store.upsert([{ id: 'a', vector: [2, 0, 0], payload: { live: false } }]); // same direction
    expect(store.stats().annUpdates).toEqual({ inPlace: 0, relinked: 0, full: 0 });
    const live = { must: [{ key: 'live', match: { value: true } }] };
    expect((await store.search({ vector: [1, 0, 0], limit: 3, filter: live })).map((h) => h.id)).toEqual([
      'b',
      'c',
    ]);
    await store.upsert([{ id: 'a', vector: [1, 0.01, 0], payload: { live: true } }]); // drift 5e-5
    await store.upsert([{ id: 'b', vector: [0, 1, 1], payload: { live: true } }]); // drift 0.29
    expect(store.stats().annUpdates).toEqual({ inPlace: 1, relinked: 0, full: 1 });
    const [first] = await store.search({ vector: [0, 1, 1], limit: 1 });
    expect(first.id).toBe('b');
    expect(first.score).toBeCloseTo(1, 6);
  });
});
