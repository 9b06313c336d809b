import { StreamLifecycle, StreamMetricsSnapshot } from '@app/contracts';
import { streamSnapshot } from '../test-support/stream-snapshot.factory';
import { LiveMetricsCache } from './live-metrics.cache';

type FeedRecord =
  { feed: 'lifecycle'; record: StreamLifecycle } | { feed: 'metrics'; record: StreamMetricsSnapshot };

const ID = 'st';
const SELLER = 'seller-st';

const start = (startedAt: number): FeedRecord => ({
  feed: 'lifecycle',
  record: {
    schemaVersion: 1,
    streamId: ID,
    eventId: `start-${startedAt}`,
    live: true,
    startedAt,
    sellerId: SELLER,
    title: `run ${startedAt}`,
    category: 'cards',
    language: 'en',
  },
});
const end = (startedAt: number | undefined, endedAt: number): FeedRecord => ({
  feed: 'lifecycle',
  record: {
    schemaVersion: 1,
    streamId: ID,
    eventId: `end-${endedAt}`,
    live: false,
    ...(startedAt !== undefined ? { startedAt } : {}),
    endedAt,
    endReason: 'ended',
  },
});
const live = (startedAt: number, viewers = 10): FeedRecord => ({
  feed: 'metrics',
  record: streamSnapshot(ID, { sellerId: SELLER, startedAt, viewers }),
});
const ended = (startedAt: number, endedAt: number, endReason: 'ended' | 'expired' = 'ended'): FeedRecord => ({
  feed: 'metrics',
  record: streamSnapshot(ID, { sellerId: SELLER, startedAt, live: false, endedAt, endReason, viewers: 0 }),
});

/** Every order of the two feeds' records that keeps each feed's own order. */
function interleavings(a: FeedRecord[], b: FeedRecord[]): FeedRecord[][] {
  if (a.length === 0) return [b];
  if (b.length === 0) return [a];
  return [
    ...interleavings(a.slice(1), b).map((rest) => [a[0], ...rest]),
    ...interleavings(a, b.slice(1)).map((rest) => [b[0], ...rest]),
  ];
}

function replay(order: FeedRecord[]): LiveMetricsCache {
  const cache = new LiveMetricsCache({ maxEnded: 100, trendingRefreshMs: 0 }, () => 50_000);
  for (const { feed, record } of order) {
    const records = [{ key: ID, value: Buffer.from(JSON.stringify(record)), timestamp: 0 }];
    if (feed === 'lifecycle') cache.applyLifecycleRecords(records);
    else cache.applyRecords(records);
  }
  return cache;
}

/** What the feeds see of the stream: live (and which run, with which audience) or not. */
function stateOf(cache: LiveMetricsCache) {
  const s = cache.get(ID);
  const following = cache.liveCandidatesOf(SELLER).map((c) => c.streamId);
  return s === undefined
    ? { known: false, following }
    : { live: s.live, startedAt: s.startedAt, viewers: s.viewers, endReason: s.endReason, following };
}

describe('StreamLifecycleGate (through LiveMetricsCache): the two feeds in any interleaving', () => {
  const cases: [string, FeedRecord[], FeedRecord[], ReturnType<typeof stateOf>][] = [
    [
      'started, with its metrics: live with their numbers',
      [start(1_000)],
      [live(1_000)],
      { live: true, startedAt: 1_000, viewers: 10, endReason: undefined, following: [ID] },
    ],
    [
      'started, metrics not yet: live with no audience',
      [start(1_000)],
      [],
      { live: true, startedAt: 1_000, viewers: 0, endReason: undefined, following: [ID] },
    ],
    [
      'ended, metrics behind (still live): ended, not revived',
      [start(1_000), end(1_000, 2_000)],
      [live(1_000)],
      { live: false, startedAt: 1_000, viewers: 0, endReason: 'ended', following: [] },
    ],
    [
      'ended without the run it ends, metrics behind: ended',
      [start(1_000), end(undefined, 2_000)],
      [live(1_000)],
      { live: false, startedAt: 1_000, viewers: 0, endReason: 'ended', following: [] },
    ],
    [
      'ended, the metrics ended too: their end (and totals) stands',
      [start(1_000), end(1_000, 2_000)],
      [live(1_000), ended(1_000, 2_000)],
      { live: false, startedAt: 1_000, viewers: 0, endReason: 'ended', following: [] },
    ],
    [
      'restarted, metrics still on the first run: the new run, live with no audience',
      [start(1_000), end(1_000, 2_000), start(3_000)],
      [live(1_000)],
      { live: true, startedAt: 3_000, viewers: 0, endReason: undefined, following: [ID] },
    ],
    [
      'restarted, metrics caught up: the new run with its numbers',
      [start(1_000), end(1_000, 2_000), start(3_000)],
      [live(1_000), ended(1_000, 2_000), live(3_000, 7)],
      { live: true, startedAt: 3_000, viewers: 7, endReason: undefined, following: [ID] },
    ],
    [
      'restarted with an earlier clock than the first run, metrics caught up: the new run',
      [start(5_000), end(5_000, 6_000), start(3_000)],
      [live(5_000), ended(5_000, 6_000), live(3_000, 7)],
      { live: true, startedAt: 3_000, viewers: 7, endReason: undefined, following: [ID] },
    ],
    [
      'restarted with an earlier clock, metrics still on the first run: the new run, no audience',
      [start(5_000), end(5_000, 6_000), start(3_000)],
      [live(5_000)],
      { live: true, startedAt: 3_000, viewers: 0, endReason: undefined, following: [ID] },
    ],
    [
      'started twice (no end between), metrics of both: the second start',
      [start(1_000), start(1_500)],
      [live(1_000), live(1_500, 7)],
      { live: true, startedAt: 1_500, viewers: 7, endReason: undefined, following: [ID] },
    ],
    [
      'two runs, both ended: ended',
      [start(1_000), end(1_000, 2_000), start(3_000), end(3_000, 4_000)],
      [live(1_000), ended(1_000, 2_000), live(3_000)],
      { live: false, startedAt: 3_000, viewers: 0, endReason: 'ended', following: [] },
    ],
    [
      'its lease expired (only the metrics can say): ended',
      [start(1_000)],
      [live(1_000), ended(1_000, 9_000, 'expired')],
      { live: false, startedAt: 1_000, viewers: 0, endReason: 'expired', following: [] },
    ],
    [
      "read uncommitted: an aborted batch's start, then the retry's copy of it: live",
      [start(1_000), start(1_000)],
      [live(1_000)],
      { live: true, startedAt: 1_000, viewers: 10, endReason: undefined, following: [ID] },
    ],
    [
      "read uncommitted: a fenced enricher's late copy of the start, after the end: ended",
      [start(1_000), end(1_000, 2_000), start(1_000)],
      [live(1_000)],
      { live: false, startedAt: 1_000, viewers: 0, endReason: 'ended', following: [] },
    ],
    [
      "read uncommitted: a fenced enricher's late copy of an end, after the restart: the new run",
      [start(1_000), end(1_000, 2_000), start(3_000), end(1_000, 2_000)],
      [live(1_000), ended(1_000, 2_000), live(3_000, 7)],
      { live: true, startedAt: 3_000, viewers: 7, endReason: undefined, following: [ID] },
    ],
    [
      'no lifecycle records (older data): the metrics rule',
      [],
      [live(1_000), ended(1_000, 2_000), live(3_000, 4)],
      { live: true, startedAt: 3_000, viewers: 4, endReason: undefined, following: [ID] },
    ],
  ];

  it.each(cases)('%s', (_name, lifecycle, metrics, expected) => {
    const orders = interleavings(lifecycle, metrics);
    for (const order of orders) {
      const got = stateOf(replay(order));
      const names = order.map(({ feed, record: r }) =>
        feed === 'lifecycle' ? r.eventId : `metrics-${r.live ? 'live' : 'ended'}-${r.startedAt}`,
      );
      if (JSON.stringify(got) !== JSON.stringify(expected)) console.log(names.join(' '));
      expect({ names, got }).toEqual({ names, got: expected });
    }
  });

  it('a lifecycle tombstone forgets what that feed said: the metrics rule again', () => {
    const cache = replay([start(1_000), end(1_000, 2_000)]);
    cache.applyLifecycleRecords([{ key: ID, value: null, timestamp: 0 }]);
    cache.applyRecords([{ key: ID, value: Buffer.from(JSON.stringify(live(1_000).record)), timestamp: 0 }]);
    expect(cache.getLive(ID)?.viewers).toBe(10);
  });

  it('counts an invalid lifecycle record and goes on with the rest of the batch', () => {
    const cache = new LiveMetricsCache({ maxEnded: 10, trendingRefreshMs: 0 });
    cache.applyLifecycleRecords([
      { key: ID, value: Buffer.from('{"schemaVersion":1,"streamId":"st","live":true}'), timestamp: 0 },
      { key: ID, value: Buffer.from(JSON.stringify(start(1_000).record)), timestamp: 0 },
    ]);
    expect(cache.invalid).toBe(1);
    expect(cache.getLive(ID)?.title).toBe('run 1000');
  });
});

describe('StreamLifecycleGate: the lifecycle fast lane, the transaction round and the metrics in any interleaving', () => {
  // the fast lane writes the round's records early, ends without their run's start, and repeats
  // nothing: the round's records (and the metrics) decide, in whatever order the three arrive
  const cases: [string, FeedRecord[], FeedRecord[], FeedRecord[], ReturnType<typeof stateOf>][] = [
    [
      'started: live',
      [start(1_000)],
      [start(1_000)],
      [live(1_000)],
      { live: true, startedAt: 1_000, viewers: 10, endReason: undefined, following: [ID] },
    ],
    [
      'started, only the fast lane has told: live with no audience',
      [start(1_000)],
      [],
      [],
      { live: true, startedAt: 1_000, viewers: 0, endReason: undefined, following: [ID] },
    ],
    [
      'ended: ended, never revived by the round or the metrics arriving late',
      [start(1_000), end(undefined, 2_000)],
      [start(1_000), end(1_000, 2_000)],
      [live(1_000)],
      { live: false, startedAt: 1_000, viewers: 0, endReason: 'ended', following: [] },
    ],
    [
      'ended, only the fast lane has told the end: ended',
      [start(1_000), end(undefined, 2_000)],
      [start(1_000)],
      [live(1_000)],
      { live: false, startedAt: 1_000, viewers: 0, endReason: 'ended', following: [] },
    ],
    [
      'restarted: the new run',
      [start(1_000), end(undefined, 2_000), start(3_000)],
      [start(1_000), end(1_000, 2_000), start(3_000)],
      [live(1_000), ended(1_000, 2_000), live(3_000, 7)],
      { live: true, startedAt: 3_000, viewers: 7, endReason: undefined, following: [ID] },
    ],
    [
      'restarted, the round and the metrics still on the first run: the new run, no audience',
      [start(1_000), end(undefined, 2_000), start(3_000)],
      [start(1_000)],
      [live(1_000)],
      { live: true, startedAt: 3_000, viewers: 0, endReason: undefined, following: [ID] },
    ],
  ];

  it.each(cases)('%s', (_name, fast, round, metrics, expected) => {
    for (const lifecycle of interleavings(fast, round)) {
      for (const order of interleavings(lifecycle, metrics)) {
        const got = stateOf(replay(order));
        const names = order.map(({ feed, record: r }) =>
          feed === 'lifecycle'
            ? `${r.eventId}${fast.includes(order.find((o) => o.record === r)!) ? '(fast)' : ''}`
            : `metrics-${r.live ? 'live' : 'ended'}-${r.startedAt}`,
        );
        expect({ names, got }).toEqual({ names, got: expected });
      }
    }
  });
});

describe('StreamLifecycleGate: an ended run keeps the numbers the metrics feed ended it with', () => {
  // the metrics feed's ended snapshot is its last record of the run (compacted: never sent again),
  // so no lifecycle record arriving after it, early or late, may put a zeroed start in its place
  const lane = [start(1_000), end(undefined, 2_000)];
  const round = [start(1_000), end(1_000, 2_000)];
  const metrics = [live(1_000), ended(1_000, 2_000)];

  it.each([
    ['the round and the metrics', [round], metrics],
    ['the fast lane, the round and the metrics', [lane, round], metrics],
    ['the fast lane and the metrics (the round still to come)', [lane], metrics],
  ])('%s, in any interleaving', (_name, lifecycleFeeds, metricsFeed) => {
    const lifecycles =
      lifecycleFeeds.length === 1 ? [lifecycleFeeds[0]] : interleavings(lifecycleFeeds[0], lifecycleFeeds[1]);
    for (const lifecycle of lifecycles) {
      for (const order of interleavings(lifecycle, metricsFeed)) {
        const s = replay(order).get(ID);
        const names = order.map(({ feed, record: r }) =>
          feed === 'lifecycle' ? r.eventId : `metrics-${r.live ? 'live' : 'ended'}-${r.startedAt}`,
        );
        expect({ names, live: s?.live, uniqueViewers: s?.lifetime.uniqueViewers }).toEqual({
          names,
          live: false,
          uniqueViewers: 20,
        });
      }
    }
  });
});
