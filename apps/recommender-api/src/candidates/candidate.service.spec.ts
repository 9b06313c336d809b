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
    const { service } = await setup();
    const { candidates, degraded } = await service.gather({
      ...query,
      vector: axisVector(DIM, 4),
      user: { ...EMPTY_USER_SIGNALS, follows: new Set(['s5']) },
      excludeStreamIds: new Set(['st0']),
    });
    expect(degraded).toBe(false);
    const ids = candidates.map((c) => c.streamId);
    expect(ids[0]).toBe('st4');
    expect(candidates[0].similarity).toBeGreaterThan(0.9);
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
