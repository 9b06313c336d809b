import { StreamMetricsSnapshot } from '@app/contracts';
import { streamSnapshot as snapshot } from '../test-support/stream-snapshot.factory';
import { liveFeaturesOf } from '../ranking/live-features';
import { LiveMetricsCache, liveSignalsOf } from './live-metrics.cache';

const record = (s: StreamMetricsSnapshot) => ({
  key: s.streamId,
  value: Buffer.from(JSON.stringify(s)),
  timestamp: 0,
});

describe('LiveMetricsCache', () => {
  it('orders trending by engagement and filters category, language and exclusions', () => {
    const cache = new LiveMetricsCache({ maxEnded: 10, trendingRefreshMs: 0 });
    cache.applyRecords([
      record(snapshot('a', { engagementScore: 1 })),
      record(snapshot('b', { engagementScore: 9, language: 'de' })),
      record(snapshot('c', { engagementScore: 5, category: 'coins' })),
    ]);
    const ids = (q: Parameters<LiveMetricsCache['trending']>[0]) => cache.trending(q).map((s) => s.streamId);
    expect(ids({ limit: 10 })).toEqual(['b', 'c', 'a']);
    expect(ids({ limit: 10, language: 'en' })).toEqual(['c', 'a']);
    expect(ids({ limit: 10, category: 'coins' })).toEqual(['c']);
    expect(
      ids({ limit: 10, excludeSellerIds: new Set(['seller-b']), excludeStreamIds: new Set(['a']) }),
    ).toEqual(['c']);
    expect(ids({ limit: 1 })).toEqual(['b']);
    // the feed's view of the same order: the shared ranking candidates, features computed once
    const candidates = cache.trendingCandidates({ limit: 10, language: 'en' });
    expect(candidates.map((c) => c.streamId)).toEqual(['c', 'a']);
    expect(candidates[0]).toBe(cache.liveCandidate('c'));
    expect(candidates[0].liveFeatures).toEqual(liveFeaturesOf(liveSignalsOf(cache.getLive('c')!)));
  });

  it('drops an ended stream from the live set at once but still answers lookups', () => {
    const cache = new LiveMetricsCache({ maxEnded: 10, trendingRefreshMs: 60_000 });
    cache.apply(snapshot('a'));
    expect(cache.trending({ limit: 5 }).map((s) => s.streamId)).toEqual(['a']);
    cache.apply(snapshot('a', { live: false, endReason: 'ended', endedAt: 3_000 }));
    // even with a stale trending order, an ended stream is never returned
    expect(cache.trending({ limit: 5 })).toEqual([]);
    expect(cache.trendingCandidates({ limit: 5 })).toEqual([]);
    expect([...cache.liveStreamsOf('seller-a')]).toEqual([]);
    expect(cache.get('a')?.live).toBe(false);
    expect(cache.getLive('a')).toBeUndefined();
  });

  it('forgets a tombstoned stream, bounds ended ones and counts invalid records', () => {
    const cache = new LiveMetricsCache({ maxEnded: 1, trendingRefreshMs: 0 });
    cache.apply(snapshot('a', { live: false }));
    cache.apply(snapshot('b', { live: false }));
    expect(cache.get('a')).toBeUndefined();
    cache.applyRecords([
      { key: 'b', value: null, timestamp: 0 },
      { key: 'x', value: Buffer.from('{"streamId":1}'), timestamp: 0 },
    ]);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.invalid).toBe(1);
  });

  it('indexes live streams by seller', () => {
    const cache = new LiveMetricsCache({ maxEnded: 10, trendingRefreshMs: 0 });
    cache.apply(snapshot('a', { sellerId: 's' }));
    cache.apply(snapshot('b', { sellerId: 's' }));
    expect([...cache.liveStreamsOf('s')].sort()).toEqual(['a', 'b']);
    expect(liveSignalsOf(snapshot('a'))).toEqual({
      viewers: 10,
      viewerVelocity: 1,
      bidsPerMin: 2,
      chatsPerMin: 6,
      gmvPerMin: 40,
    });
  });
});
