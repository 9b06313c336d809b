import { LIVE_ROW_STRIDE, liveFeaturesOf, writeLiveRow } from './live-features';
import { rankingProfile } from './ranking-profiles';
import { RankingService } from './ranking.service';
import {
  EMPTY_USER_SIGNALS,
  LiveIndex,
  RANKING_SIGNALS,
  RankingCandidate,
  UserSignals,
} from './ranking.types';

const NOW = 1_700_000_000_000;
const caps = { maxPerSeller: 2, maxPerCategory: 10 };
const balanced = rankingProfile('balanced', caps);
const uncapped = { maxPerSeller: 100, maxPerCategory: 100 };

function candidate(id: string, overrides: Partial<RankingCandidate> = {}): RankingCandidate {
  return {
    streamId: id,
    sellerId: `seller-${id}`,
    title: `show ${id}`,
    category: 'cards',
    language: 'en',
    startedAt: NOW - 30 * 60_000,
    live: true,
    metrics: { viewers: 20, viewerVelocity: 0, bidsPerMin: 1, chatsPerMin: 5, gmvPerMin: 10 },
    ...overrides,
  };
}

function user(overrides: Partial<UserSignals> = {}): UserSignals {
  return { ...EMPTY_USER_SIGNALS, ...overrides };
}

const ids = (items: { candidate: RankingCandidate }[]): string[] => items.map((i) => i.candidate.streamId);
const service = new RankingService();

describe('RankingService', () => {
  it('puts the seller a loyal viewer keeps coming back to first, over a bigger similar show', () => {
    const loyal = user({
      sellerWeights: new Map([['seller-a', 12]]),
      sellerSessions: new Map([['seller-a', 9]]),
    });
    const items = service.rank({
      candidates: [
        candidate('a', {
          metrics: { viewers: 3, viewerVelocity: 0, bidsPerMin: 0, chatsPerMin: 0, gmvPerMin: 0 },
        }),
        candidate('b', {
          similarity: 0.8,
          metrics: { viewers: 800, viewerVelocity: 30, bidsPerMin: 20, chatsPerMin: 80, gmvPerMin: 900 },
        }),
      ],
      user: loyal,
      profile: balanced,
      now: NOW,
      limit: 10,
    });
    expect(ids(items)).toEqual(['a', 'b']);
    expect(items[0].reasons.repeat).toBeGreaterThan(1.5);
  });

  it('reports each signal contribution, summing to the score', () => {
    const [item] = service.rank({
      candidates: [candidate('a', { similarity: 0.5 })],
      user: user({ follows: new Set(['seller-a']) }),
      profile: balanced,
      now: NOW,
      limit: 1,
    });
    const sum = Object.values(item.reasons).reduce((a, b) => a + b, 0);
    expect(item.score).toBeCloseTo(sum, 12);
    expect(item.reasons.follow).toBe(1);
    expect(item.reasons.similarity).toBeCloseTo(0.5, 12);
  });

  it('holds the per-seller and per-category caps on a page', () => {
    const candidates = Array.from({ length: 30 }, (_, i) =>
      candidate(`s${String(i).padStart(2, '0')}`, {
        sellerId: `seller-${i % 3}`,
        category: i % 2 === 0 ? 'cards' : 'sneakers',
        similarity: 1 - i / 100,
      }),
    );
    const items = service.rank({
      candidates,
      user: EMPTY_USER_SIGNALS,
      profile: rankingProfile('balanced', { maxPerSeller: 2, maxPerCategory: 3 }),
      now: NOW,
      limit: 20,
    });
    const count = (key: (c: RankingCandidate) => string) => {
      const m = new Map<string, number>();
      for (const { candidate: c } of items) m.set(key(c), (m.get(key(c)) ?? 0) + 1);
      return Math.max(...m.values());
    };
    expect(items.length).toBe(6);
    expect(count((c) => c.sellerId)).toBeLessThanOrEqual(2);
    expect(count((c) => c.category)).toBeLessThanOrEqual(3);
  });

  it('never returns an ended stream, however strong its signals', () => {
    const items = service.rank({
      candidates: [
        candidate('ended', { live: false, similarity: 1 }),
        candidate('live', { similarity: 0.1 }),
      ],
      user: user({ follows: new Set(['seller-ended']) }),
      profile: balanced,
      now: NOW,
      limit: 10,
    });
    expect(ids(items)).toEqual(['live']);
  });

  it('sinks a stream shown and ignored, but not one that was clicked', () => {
    const shown = new Map([
      ['a', { impressions: 4, clicks: 0, lastShownAt: NOW - 60_000 }],
      ['b', { impressions: 4, clicks: 2, lastShownAt: NOW - 60_000 }],
    ]);
    const items = service.rank({
      candidates: [
        candidate('a', { similarity: 0.6 }),
        candidate('b', { similarity: 0.5 }),
        candidate('c', { similarity: 0.4 }),
      ],
      user: user({ shown }),
      profile: balanced,
      now: NOW,
      limit: 10,
    });
    expect(ids(items)).toEqual(['b', 'c', 'a']);
    expect(items[2].reasons.shownIgnored).toBeLessThan(0);
    expect(items[0].reasons.shownIgnored).toBe(0);
  });

  it('changes order with the profile as documented', () => {
    const watched = candidate('watched', {
      similarity: 0.2,
      metrics: { viewers: 10, viewerVelocity: 0, bidsPerMin: 0, chatsPerMin: 1, gmvPerMin: 0 },
    });
    const similarNew = candidate('similar', {
      similarity: 0.9,
      startedAt: NOW - 60_000,
      metrics: { viewers: 10, viewerVelocity: 0, bidsPerMin: 0, chatsPerMin: 1, gmvPerMin: 0 },
    });
    const hot = candidate('hot', {
      similarity: 0.1,
      metrics: { viewers: 1000, viewerVelocity: 50, bidsPerMin: 30, chatsPerMin: 100, gmvPerMin: 2000 },
    });
    const u = user({
      sellerWeights: new Map([['seller-watched', 5]]),
      sellerSessions: new Map([['seller-watched', 6]]),
    });
    const order = (name: string) =>
      ids(
        service.rank({
          candidates: [watched, similarNew, hot],
          user: u,
          profile: rankingProfile(name, caps),
          now: NOW,
          limit: 3,
        }),
      );
    expect(order('balanced')[0]).toBe('watched');
    expect(order('discovery')[0]).toBe('similar');
    expect(order('popular')[0]).toBe('hot');
  });

  it('is deterministic: ties broken by stream id, same input same output', () => {
    const candidates = ['c', 'a', 'b'].map((id) => candidate(id, { sellerId: 'same-seller' }));
    const run = () =>
      ids(
        service.rank({
          candidates,
          user: EMPTY_USER_SIGNALS,
          profile: rankingProfile('balanced', { maxPerSeller: 5, maxPerCategory: 5 }),
          now: NOW,
          limit: 3,
        }),
      );
    expect(run()).toEqual(['a', 'b', 'c']);
    expect(run()).toEqual(run());
  });

  it('ranks a small set after a larger one as if it came first (scratch rows are reused)', () => {
    const small = () =>
      service.rankPage({
        candidates: [candidate('x', { live: false, similarity: 0.9 }), candidate('y'), candidate('z')],
        user: EMPTY_USER_SIGNALS,
        profile: balanced,
        now: NOW,
        limit: 5,
      });
    const first = small();
    // 300 candidates: beyond the initial score row, and leaves high scores at indices 0..2
    const large = Array.from({ length: 300 }, (_, i) => candidate(`big-${i}`, { similarity: 1 }));
    service.rankPage({ candidates: large, user: EMPTY_USER_SIGNALS, profile: balanced, now: NOW, limit: 5 });
    const again = small();
    expect(again).toEqual(first);
    expect(ids(again.items)).toEqual(['y', 'z']);
    expect(Object.keys(again.items[0].reasons)).toEqual([...RANKING_SIGNALS]);
  });

  it('rejects an unknown profile name', () => {
    expect(() => rankingProfile('nope', caps)).toThrow(/unknown ranking profile/);
  });
});

describe('RankingService with precomputed live features', () => {
  it('scores a candidate with liveFeatures exactly as one with only metrics', () => {
    const metrics = { viewers: 321, viewerVelocity: -4, bidsPerMin: 2.5, chatsPerMin: 33, gmvPerMin: 120 };
    const plain = candidate('a', { metrics, similarity: 0.4 });
    const precomputed = candidate('a', { metrics, similarity: 0.4, liveFeatures: liveFeaturesOf(metrics) });
    const rank = (c: RankingCandidate) => {
      const page = service.rankPage({
        candidates: [c],
        user: EMPTY_USER_SIGNALS,
        profile: balanced,
        now: NOW,
        limit: 1,
      });
      return {
        liveCount: page.liveCount,
        scored: page.items.map(({ score, reasons }) => ({ score, reasons })),
      };
    };
    expect(rank(precomputed)).toEqual(rank(plain));
    expect(rank(plain).liveCount).toBe(1);
    expect(rank(plain).scored[0].reasons.viewers).toBeGreaterThan(0);
  });

  it('dedupes by key as by id: the best similarity wins, one item per stream', () => {
    const shared = candidate('a', { key: 3 });
    const page = (candidates: RankingCandidate[]) =>
      service.rankPage({ candidates, user: user(), profile: balanced, now: NOW, limit: 10 });
    const keyed = page([
      shared,
      candidate('b', { key: 1 }),
      { ...shared, similarity: 0.9 },
      shared,
      candidate('c', { key: 1024 }),
    ]);
    const byId = page([
      candidate('a'),
      candidate('b'),
      candidate('a', { similarity: 0.9 }),
      candidate('a'),
      candidate('c'),
    ]);
    expect(keyed.liveCount).toBe(3);
    expect(ids(keyed.items)).toEqual(ids(byId.items));
    expect(keyed.items.map((i) => i.score)).toEqual(byId.items.map((i) => i.score));
    expect(keyed.items.find((i) => i.candidate.streamId === 'a')?.reasons.similarity).toBeCloseTo(0.9);
    // two streams under one key (a caller's mistake) or a candidate without one: deduped by id
    const clash = page([candidate('a', { key: 1 }), candidate('b', { key: 1 }), candidate('a', { key: 2 })]);
    expect(clash.liveCount).toBe(2);
    const mixed = page([candidate('a', { key: 1 }), candidate('a'), candidate('b', { key: 2 })]);
    expect(mixed.liveCount).toBe(2);
  });

  it.each([
    ['a page with binding caps', { maxPerSeller: 1, maxPerCategory: 3 }, 8, 8],
    ['every candidate', uncapped, 100, 26],
  ])(
    'ranks keyed candidates from the live index exactly as from their own fields: %s',
    (_, caps, limit, n) => {
      const scenario = keyedScenario();
      const { candidates, live } = scenario;
      const request = { ...scenario.request, profile: rankingProfile('balanced', caps), limit };
      const byFields = service.rankPage(request);
      // sanity: the scenario exercises every user signal (and the caps cut the first page)
      const everything = service
        .rankPage({ ...request, profile: rankingProfile('balanced', uncapped), limit: 100 })
        .items.map((i) => i.reasons);
      for (const signal of ['repeat', 'follow', 'category', 'similarity'] as const)
        expect(everything.some((r) => r[signal] > 0)).toBe(true);
      expect(everything.filter((r) => r.shownIgnored < 0).length).toBe(2); // st4, off-index-2
      expect([byFields.items.length, byFields.liveCount]).toEqual([n, 26]);
      // the candidates' own keys with the index; then keys and similarities beside shared objects
      expect(summary(service.rankPage({ ...request, live }))).toEqual(summary(byFields));
      const shared = candidates.map((c) => ({ ...c, key: undefined, similarity: undefined }));
      const beside = service.rankPage({
        ...request,
        candidates: shared,
        // a key only for the live streams of the index (the ended one has none, as the cache gives)
        keys: candidates.map((c) => (c.live ? (c.key ?? -1) : -1)),
        similarities: candidates.map((c) => c.similarity ?? -Infinity),
        live,
      });
      expect(summary(beside)).toEqual(summary(byFields));
      // the page's items are the candidate objects given
      expect(shared).toContain(beside.items[0].candidate);
    },
  );

  it('falls back to ids when the given keys contradict the index, with the same page', () => {
    const { candidates, request, live } = keyedScenario();
    const byFields = summary(service.rankPage(request));
    const keys = candidates.map((c) => (c.live ? (c.key ?? -1) : -1));
    // an unkeyed candidate that is a live stream of the index: deduped by id with its keyed twin
    const twin = { ...candidates[0], key: undefined, similarity: 0.99 };
    const withTwin = service.rankPage({
      ...request,
      candidates: [...candidates, twin],
      keys: [...keys, -1],
      live,
    });
    const expected = service.rankPage({ ...request, candidates: [...candidates, twin] });
    expect(summary(withTwin)).toEqual(summary(expected));
    // one key given to two streams (a caller's mistake): deduped by id
    const clash = service.rankPage({ ...request, keys: keys.map((k, i) => (i === 1 ? keys[0] : k)), live });
    expect(clash.liveCount).toBe(byFields.liveCount);
  });

  it('reads the live rows: a different row changes the result', () => {
    const { request, live } = keyedScenario();
    const fromRows = service.rankPage({ ...request, live });
    const top = fromRows.items[0];
    live.rows[top.candidate.key! * LIVE_ROW_STRIDE] = 1;
    const changed = service.rankPage({ ...request, live }).items;
    const viewersOf = (items: typeof changed) =>
      items.find((i) => i.candidate.streamId === top.candidate.streamId)?.reasons.viewers;
    expect(viewersOf(changed)).toBe(balanced.weights.viewers);
    expect(viewersOf(changed)).not.toBe(top.reasons.viewers);
  });
});

/** Ids, scores, reasons and liveCount of a page: what must not depend on how candidates are given. */
function summary(page: ReturnType<RankingService['rankPage']>) {
  return {
    liveCount: page.liveCount,
    items: page.items.map((i) => ({ id: i.candidate.streamId, score: i.score, reasons: i.reasons })),
  };
}

/**
 * Keyed candidates (several per seller and category, duplicates, an ended one and two unkeyed ones
 * unknown to the index), a user with weights, sessions, follows, categories and impressions, caps
 * that bind, and the LiveIndex the metrics cache would give for them.
 */
function keyedScenario() {
  const keyed = Array.from({ length: 24 }, (_, i) =>
    candidate(`st${i}`, {
      key: 3 * i + 1,
      sellerId: `seller-${i % 7}`,
      category: ['cards', 'coins', 'comics'][i % 3],
      similarity: i % 4 === 0 ? undefined : 0.2 + (i % 5) / 10,
      startedAt: NOW - i * 5 * 60_000,
      metrics: {
        viewers: 7 * i,
        viewerVelocity: (i % 9) - 3,
        bidsPerMin: i % 4,
        chatsPerMin: i,
        gmvPerMin: 13 * i,
      },
    }),
  );
  keyed.forEach((c) => (c.liveFeatures = liveFeaturesOf(c.metrics!)));
  const unkeyed = [
    candidate('off-index-1', { sellerId: 'seller-1', similarity: 0.7 }),
    candidate('off-index-2'),
  ];
  const ended = candidate('ended', { key: 2, live: false, similarity: 1 });
  const candidates = [
    ...keyed.slice(0, 12),
    unkeyed[0],
    { ...keyed[3], similarity: 0.95 },
    ended,
    ...keyed.slice(12),
    keyed[5],
    unkeyed[1],
  ];
  const user: UserSignals = {
    sellerWeights: new Map([
      ['seller-1', 9],
      ['seller-4', 3],
    ]),
    sellerSessions: new Map([
      ['seller-4', 5],
      ['seller-6', 2],
    ]),
    follows: new Set(['seller-2', 'seller-unknown']),
    categoryWeights: new Map([
      ['coins', 4],
      ['comics', 1],
      ['stamps', 8],
    ]),
    shown: new Map([
      ['st4', { impressions: 6, clicks: 0, lastShownAt: NOW - 60_000 }],
      ['st8', { impressions: 2, clicks: 1, lastShownAt: NOW - 120_000 }],
      ['off-index-2', { impressions: 5, clicks: 0, lastShownAt: NOW - 30_000 }],
      ['gone', { impressions: 5, clicks: 0, lastShownAt: NOW }],
    ]),
  };
  const request = {
    candidates,
    user,
    profile: rankingProfile('balanced', { maxPerSeller: 1, maxPerCategory: 3 }),
    now: NOW,
    limit: 8,
  };
  return { candidates, request, live: liveIndexOf(keyed) };
}

/** The LiveIndex of keyed candidates, as LiveMetricsCache builds one (rows with seller/category keys). */
function liveIndexOf(keyed: RankingCandidate[]): LiveIndex {
  const keysOf = (values: string[]) => new Map([...new Set(values)].map((v, i) => [v, i]));
  const sellers = keysOf(keyed.map((c) => c.sellerId));
  const categories = keysOf(keyed.map((c) => c.category));
  const streams = new Map(keyed.map((c) => [c.streamId, c.key!]));
  const rows = new Float64Array((Math.max(...streams.values()) + 1) * LIVE_ROW_STRIDE);
  for (const c of keyed)
    writeLiveRow(
      rows,
      c.key!,
      c.liveFeatures!,
      c.startedAt,
      sellers.get(c.sellerId),
      categories.get(c.category),
    );
  return {
    rows,
    streamKey: (id) => streams.get(id) ?? -1,
    sellerKey: (id) => sellers.get(id) ?? -1,
    categoryKey: (category) => categories.get(category) ?? -1,
  };
}
