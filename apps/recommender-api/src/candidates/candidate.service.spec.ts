import { InProcessVectorStore } from '@app/vector-store';
import { LiveMetricsCache } from '../live-metrics/live-metrics.cache';
import { EMPTY_USER_SIGNALS } from '../ranking/ranking.types';
import { axisVector } from '../test-support/vectors';
import { streamSnapshot } from '../test-support/stream-snapshot.factory';
import { CandidateService, liveFilter } from './candidate.service';

const DIM = 8;

async function setup() {
  const store = new InProcessVectorStore({ dimension: DIM });
  const cache = new LiveMetricsCache({ maxEnded: 100, trendingRefreshMs: 0 });
  for (let i = 0; i < 6; i++) {
    const s = streamSnapshot(`st${i}`, {
      sellerId: `s${i}`,
      category: i % 2 ? 'coins' : 'cards',
      engagementScore: 10 - i,
    });
    cache.apply(s);
    await store.upsert([
      {
        id: s.streamId,
        vector: axisVector(DIM, i),
        payload: { live: true, sellerId: s.sellerId, category: s.category, language: 'en' },
      },
    ]);
  }
  return { store, cache, service: new CandidateService({ store, ready: () => true }, cache) };
}

const query = {
  user: EMPTY_USER_SIGNALS,
  excludeSellerIds: new Set<string>(),
  excludeStreamIds: new Set<string>(),
  vectorLimit: 3,
  trendingLimit: 2,
};

describe('CandidateService', () => {
  it('merges vector hits (with similarity), trending and the user sellers, honouring exclusions', async () => {
    const { service, cache } = await setup();
    const { candidates, similarities, keys, degraded } = await service.gather({
      ...query,
      vector: axisVector(DIM, 4),
      user: { ...EMPTY_USER_SIGNALS, follows: new Set(['s5']) },
      excludeStreamIds: new Set(['st0']),
    });
    expect(degraded).toBe(false);
    const ids = candidates.map((c) => c.streamId);
    expect(ids[0]).toBe('st4');
    // the cache's shared candidate, its similarity beside it (no copy per hit)
    expect(similarities[0]).toBeGreaterThan(0.9);
    expect(candidates[0]).toBe(cache.liveCandidate('st4'));
    expect(keys).toEqual(candidates.map((c) => c.key));
    expect(ids).toContain('st5'); // followed seller, live
    expect(ids).toContain('st1'); // trending (st0 excluded by the cursor)
    expect(ids).not.toContain('st0');
  });

  it('marks a stream the metrics feed saw end as not live even if its vector lingers', async () => {
    const { service, cache } = await setup();
    cache.apply(streamSnapshot('st4', { sellerId: 's4', live: false }));
    const { candidates } = await service.gather({ ...query, vector: axisVector(DIM, 4), trendingLimit: 0 });
    expect(candidates.find((c) => c.streamId === 'st4')?.live).toBe(false);
  });

  it('reaches hits through the store labels, still right after the store or the cache re-used them', async () => {
    const { service, store, cache } = await setup();
    const hitOf = async (axis: number) => {
      const set = await service.gather({
        ...query,
        vector: axisVector(DIM, axis),
        vectorLimit: 1,
        trendingLimit: 0,
      });
      return { id: set.candidates[0]?.streamId, key: set.keys[0], similarity: set.similarities[0] };
    };
    expect(await hitOf(2)).toEqual({
      id: 'st2',
      key: cache.liveCandidate('st2')?.key,
      similarity: expect.closeTo(1, 5) as number,
    });
    expect(await hitOf(2)).toMatchObject({ id: 'st2' }); // the remembered label
    // the store re-uses st2's label for st9, while the cache gives st2's slot to st8
    await store.delete(['st2']);
    cache.apply(streamSnapshot('st2', { live: false }));
    cache.apply(streamSnapshot('st8', { sellerId: 's8' }));
    cache.apply(streamSnapshot('st9', { sellerId: 's9' }));
    await store.upsert([{ id: 'st9', vector: axisVector(DIM, 2), payload: { live: true, sellerId: 's9' } }]);
    expect(await hitOf(2)).toEqual({
      id: 'st9',
      key: cache.liveCandidate('st9')?.key,
      similarity: expect.closeTo(1, 5) as number,
    });
    // st3 keeps its label, but ends and comes back live in another slot (st10 took its old one)
    expect(await hitOf(3)).toMatchObject({ id: 'st3' });
    cache.apply(streamSnapshot('st3', { live: false }));
    cache.apply(streamSnapshot('st10', { sellerId: 's10' }));
    cache.apply(streamSnapshot('st3', { sellerId: 's3' }));
    expect(cache.liveCandidate('st10')?.key).not.toBe(cache.liveCandidate('st3')?.key);
    expect(await hitOf(3)).toEqual({
      id: 'st3',
      key: cache.liveCandidate('st3')?.key,
      similarity: expect.closeTo(1, 5) as number,
    });
    // st2 back in the store (another label) but ended in the cache: a candidate that is not live
    await store.upsert([{ id: 'st2', vector: axisVector(DIM, 7), payload: { live: true, sellerId: 's2' } }]);
    const ended = await service.gather({
      ...query,
      vector: axisVector(DIM, 7),
      vectorLimit: 1,
      trendingLimit: 0,
    });
    expect(ended.candidates.map((c) => [c.streamId, c.live])).toEqual([['st2', false]]);
    expect(ended.keys).toEqual([-1]);
  });

  it('answers degraded when the index fails or is catching up', async () => {
    const { cache } = await setup();
    const failing = new CandidateService(
      {
        store: { search: () => Promise.reject(new Error('down')) } as unknown as InProcessVectorStore,
        ready: () => true,
      },
      cache,
    );
    const r = await failing.gather({ ...query, vector: axisVector(DIM, 1) });
    expect(r.degraded).toBe(true);
    expect(r.candidates.map((c) => c.streamId)).toEqual(['st0', 'st1']);
  });

  it('builds the filter inside the one query', () => {
    expect(liveFilter({ category: 'cards', language: 'de', excludeSellerIds: new Set(['s1']) })).toEqual({
      must: [
        { key: 'category', match: { value: 'cards' } },
        { key: 'language', match: { value: 'de' } },
      ],
      must_not: [{ key: 'sellerId', match: { any: ['s1'] } }],
    });
    // nothing to filter: an unfiltered search (no per-node callback in the HNSW graph)
    expect(liveFilter({ excludeSellerIds: new Set() })).toBeUndefined();
    expect(liveFilter({ excludeSellerIds: new Set(['s1']) })).toEqual({
      must_not: [{ key: 'sellerId', match: { any: ['s1'] } }],
    });
  });
});
