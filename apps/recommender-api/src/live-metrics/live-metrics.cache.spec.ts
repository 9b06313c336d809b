import { StreamMetricsSnapshot } from '@app/contracts';
import { streamSnapshot as snapshot } from '../test-support/stream-snapshot.factory';
import {
  LIVE_ROW_STRIDE,
  ROW_CATEGORY_KEY,
  ROW_SELLER_KEY,
  ROW_STARTED_AT,
  liveFeaturesOf,
} from '../ranking/live-features';
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
    expect([...cache.liveCandidatesOf('seller-a')]).toEqual([]);
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
    const streams = [...cache.liveCandidatesOf('s')];
    expect(streams.map((c) => c.streamId)).toEqual(['a', 'b']);
    expect(streams[0]).toBe(cache.liveCandidate('a'));
    // a seller change moves the stream; an update keeps its place in the seller's order
    cache.apply(snapshot('a', { sellerId: 't' }));
    cache.apply(snapshot('b', { sellerId: 's', viewers: 99 }));
    expect([...cache.liveCandidatesOf('s')].map((c) => c.streamId)).toEqual(['b']);
    expect([...cache.liveCandidatesOf('t')][0]).toBe(cache.liveCandidate('a'));
    expect(cache.liveCandidate('b')?.metrics?.viewers).toBe(99);
    expect(liveSignalsOf(snapshot('a'))).toEqual({
      viewers: 10,
      viewerVelocity: 1,
      bidsPerMin: 2,
      chatsPerMin: 6,
      gmvPerMin: 40,
    });
  });

  it('gives each live stream its own key (slot), re-used only after the stream left', () => {
    const cache = new LiveMetricsCache({ maxEnded: 10, trendingRefreshMs: 0 });
    cache.apply(snapshot('a'));
    cache.apply(snapshot('b'));
    const keyOf = (id: string) => cache.liveCandidate(id)?.key;
    expect(keyOf('a')).not.toBe(keyOf('b'));
    cache.apply(snapshot('a', { viewers: 50 }));
    expect(keyOf('a')).toBe(cache.liveCandidate('a')?.key);
    const freed = keyOf('a');
    cache.apply(snapshot('a', { live: false }));
    cache.apply(snapshot('c'));
    expect(keyOf('c')).toBe(freed);
    expect(cache.liveCount).toBe(2);
  });

  it('serves trending from a stale order by the streams current candidates, never an ended one', () => {
    let now = 0;
    const cache = new LiveMetricsCache({ maxEnded: 10, trendingRefreshMs: 1_000 }, () => now);
    cache.apply(snapshot('a', { engagementScore: 9 }));
    cache.apply(snapshot('b', { engagementScore: 5 }));
    now = 2_000;
    expect(cache.trendingCandidates({ limit: 5 }).map((c) => c.streamId)).toEqual(['a', 'b']);
    // within the refresh period: a and b end, a comes back live in b's old slot (its update
    // served), c takes a's old slot
    const [keyA, keyB] = [cache.liveCandidate('a')?.key, cache.liveCandidate('b')?.key];
    cache.apply(snapshot('a', { live: false }));
    cache.apply(snapshot('b', { live: false }));
    cache.apply(snapshot('a', { engagementScore: 9, viewers: 77 }));
    cache.apply(snapshot('c', { engagementScore: 1 }));
    expect([cache.liveCandidate('a')?.key, cache.liveCandidate('c')?.key]).toEqual([keyB, keyA]);
    const served = cache.trendingCandidates({ limit: 5 });
    expect(served.map((c) => c.streamId)).toEqual(['a']);
    expect(served[0]).toBe(cache.liveCandidate('a'));
    expect(cache.trending({ limit: 5 }).map((s) => s.viewers)).toEqual([77]);
    now = 4_000;
    expect(cache.trendingCandidates({ limit: 5 }).map((c) => c.streamId)).toEqual(['a', 'c']);
  });

  it('keeps a live index whose rows name each live stream, seller and category by key', () => {
    const cache = new LiveMetricsCache({ maxEnded: 10, trendingRefreshMs: 0 });
    cache.apply(snapshot('a', { sellerId: 's1', category: 'cards', startedAt: 5_000 }));
    cache.apply(snapshot('b', { sellerId: 's1', category: 'coins' }));
    cache.apply(snapshot('c', { sellerId: 's2', category: 'cards' }));
    /** What the index says of a stream, and what its row holds: they must agree. */
    const view = (id: string) => {
      const live = cache.liveIndex();
      const key = live.streamKey(id);
      const c = cache.liveCandidate(id);
      if (key < 0 || !c) return { key, live: false };
      const o = key * LIVE_ROW_STRIDE;
      expect(key).toBe(c.key);
      expect([...live.rows.subarray(o, o + ROW_STARTED_AT)]).toEqual(Object.values(c.liveFeatures!));
      expect(live.rows[o + ROW_STARTED_AT]).toBe(c.startedAt);
      expect(live.rows[o + ROW_SELLER_KEY]).toBe(live.sellerKey(c.sellerId));
      expect(live.rows[o + ROW_CATEGORY_KEY]).toBe(live.categoryKey(c.category));
      return { key, live: true, seller: live.sellerKey(c.sellerId), category: live.categoryKey(c.category) };
    };
    const [a, b, c] = [view('a'), view('b'), view('c')];
    expect(a.seller).toBe(b.seller);
    expect(a.seller).not.toBe(c.seller);
    expect(a.category).toBe(c.category);
    expect(a.category).not.toBe(b.category);
    expect(cache.liveIndex().rows[a.key * LIVE_ROW_STRIDE + ROW_STARTED_AT]).toBe(5_000);
    // b moves to seller s2 and category cards: s1 keeps its key while a is live
    cache.apply(snapshot('b', { sellerId: 's2', category: 'cards' }));
    expect(view('b')).toMatchObject({ seller: c.seller, category: c.category });
    expect(cache.liveIndex().sellerKey('s1')).toBe(a.seller);
    expect(cache.liveCandidatesOf('s2').map((x) => x.streamId)).toEqual(['c', 'b']);
    // a seller / category without live streams has no key; a new one re-uses the freed key
    cache.apply(snapshot('a', { live: false }));
    expect(view('a')).toEqual({ key: -1, live: false });
    expect(cache.liveIndex().sellerKey('s1')).toBe(-1);
    cache.apply(snapshot('d', { sellerId: 's3', category: 'stamps' }));
    expect(view('d').seller).toBe(a.seller);
    cache.applyRecords([{ key: 'c', value: null, timestamp: 0 }]); // tombstone
    expect(view('c')).toEqual({ key: -1, live: false });
    expect(cache.liveIndex().sellerKey('s2')).toBe(view('b').seller);
    cache.apply(snapshot('b', { live: false }));
    expect(cache.liveIndex().sellerKey('s2')).toBe(-1);
    expect(cache.liveIndex().categoryKey('cards')).toBe(-1);
    // the index follows the rows when they grow
    for (let i = 0; i < 1_500; i++) cache.apply(snapshot(`n${i}`, { sellerId: `s${i % 40}` }));
    expect(view('n1499')).toMatchObject({ live: true, seller: cache.liveIndex().sellerKey('s19') });
    expect(view('d')).toMatchObject({ live: true });
  });
});
