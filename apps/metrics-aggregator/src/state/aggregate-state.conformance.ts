import { EnrichedEvent } from '@app/contracts';
import {
  AggregatorSettings,
  DEFAULT_AGGREGATOR_SETTINGS,
  WINDOW_TAUS_MS,
} from '../aggregation/aggregator.settings';
import { BatchApplier } from '../aggregation/batch-applier';
import { BatchFoldService, OffsetEvent } from '../aggregation/batch-fold.service';
import { rateSlot } from '../aggregation/decay';
import { expiredEventId } from '../liveness/expired-event-id';
import { EnrichedEventFactory } from '../test-support/enriched-events.factory';
import { AggregateStateRepository, StreamState } from './aggregate-state.repository';

export interface ConformanceSubject {
  repository: AggregateStateRepository;
  /** Writes `<P>s:<id>` fields as they are (a hash left by an earlier version: upgrade). */
  writeStreamHash(id: string, fields: Record<string, string | Buffer>): Promise<void>;
  /** The field names of `<P>s:<id>`, sorted, and the first byte of its `r` (format version). */
  readStreamLayout(id: string): Promise<{ fields: string[]; version: number | null }>;
  /** `<P>u:<id>:streams` (left by a version before 2026-11-27) as [member, score], highest first. */
  readLegacyUserStreams(userId: string): Promise<[string, number][]>;
  writeLegacyUserStreams(userId: string, members: [string, number][]): Promise<void>;
  /** Sets / reads `<P>agg:format`, the state format the apply script gates on (null: none). */
  writeStateFormat(format: number): Promise<void>;
  readStateFormat(): Promise<number | null>;
  /** TTL as Redis' TTL (seconds; -1 none, -2 missing) of `<P>s:<id>`, `:uv`, `:ub` and `:watching`. */
  streamKeyTtls(id: string): Promise<number[]>;
  close(): Promise<void>;
}

const T0 = Date.UTC(2026, 10, 26, 12);

/** A user's state with nothing but its follows. */
const withoutEngagement = (follows: string[]) => ({
  sellers: [],
  categories: [],
  recent: [],
  sellerCounts: {},
  shown: [],
  shownCounts: {},
  follows,
});
const TOPIC = 'enriched';

/**
 * The behaviour every AggregateStateRepository must have. Run by the in-memory twin's unit spec
 * and the Redis implementation's int-spec, with a fresh (empty) repository per test.
 */
export function describeAggregateStateConformance(
  name: string,
  create: (settings: AggregatorSettings) => Promise<ConformanceSubject>,
): void {
  describe(`${name} (AggregateStateRepository conformance)`, () => {
    const settings: AggregatorSettings = DEFAULT_AGGREGATOR_SETTINGS;
    let subject: ConformanceSubject;
    let repo: AggregateStateRepository;
    let fold: BatchFoldService;
    let f: EnrichedEventFactory;
    let nextOffset: Map<number, number>;

    beforeEach(async () => {
      subject = await create(settings);
      repo = subject.repository;
      fold = new BatchFoldService(settings);
      f = new EnrichedEventFactory('c');
      nextOffset = new Map();
    });
    afterEach(() => subject.close());

    const withOffsets = (events: EnrichedEvent[], partition = 0): OffsetEvent[] => {
      const start = nextOffset.get(partition) ?? 0;
      nextOffset.set(partition, start + events.length);
      return events.map((event, i) => ({ offset: String(start + i), event }));
    };
    const apply = (messages: OffsetEvent[], partition = 0) =>
      new BatchApplier(fold, repo).apply(TOPIC, partition, messages);

    const showEvents = (): EnrichedEvent[] => [
      f.started('s1', T0, 'seller-1', 'watches', 'en'),
      f.event('view.started', T0 + 1_000, { userId: 'u1', streamId: 's1' }),
      f.event('view.started', T0 + 2_000, { userId: 'u2', streamId: 's1' }),
      f.event('chat.message', T0 + 3_000, { userId: 'u1', streamId: 's1' }),
      f.event('bid.placed', T0 + 4_000, {
        userId: 'u2',
        streamId: 's1',
        auctionId: 'a1',
        amount: 10.5,
        currency: 'EUR',
      }),
      f.event('bid.placed', T0 + 4_500, {
        userId: 'u2',
        streamId: 's1',
        auctionId: 'a1',
        amount: 11,
        currency: 'EUR',
      }),
      f.event('purchase.completed', T0 + 5_000, {
        userId: 'u2',
        streamId: 's1',
        amount: 0.1,
        currency: 'EUR',
      }),
      f.event('purchase.completed', T0 + 5_100, {
        userId: 'u1',
        streamId: 's1',
        amount: 0.2,
        currency: 'EUR',
      }),
      f.event('giveaway.entered', T0 + 6_000, { userId: 'u1', streamId: 's1' }),
      f.event('view.ended', T0 + 7_000, { userId: 'u2', streamId: 's1' }),
    ];

    it('applies exact lifetime totals, viewers and the score', async () => {
      const { outcome } = await apply(withOffsets(showEvents()));
      expect(outcome?.status).toBe('applied');
      const [s] = await repo.readStreams(['s1']);
      expect(s).toMatchObject({
        live: true,
        sellerId: 'seller-1',
        category: 'watches',
        chats: 1,
        bids: 2,
        purchases: 2,
        giveaways: 1,
        gmv: { EUR: 3000 },
        uniqueViewers: 2,
        viewers: 1,
        peakViewers: 1,
        startedAt: T0,
        lastEventAt: T0 + 7_000,
      });
      expect(s?.score).toBeGreaterThan(0);
      // each decayed sum in its own slot, at the stream's latest event time
      const at = T0 + 7_000;
      const decayed = (times: number[], w: number) =>
        times.reduce((sum, t) => sum + Math.exp(-(at - t) / WINDOW_TAUS_MS[w]), 0);
      WINDOW_TAUS_MS.forEach((_, w) => {
        expect(s?.rates[rateSlot('chats', w)]).toBeCloseTo(decayed([T0 + 3_000], w), 12);
        expect(s?.rates[rateSlot('uniqueBidders', w)]).toBeCloseTo(decayed([T0 + 4_000], w), 12);
        expect(s?.rates[rateSlot('giveaways', w)]).toBeCloseTo(decayed([T0 + 6_000], w), 12);
        expect(s?.rates[rateSlot('newViewers', w)]).toBeCloseTo(decayed([T0 + 1_000, T0 + 2_000], w), 12);
      });
      expect(await repo.readLive()).toEqual(['s1']);
      expect(await repo.readSeller('seller-1')).toEqual({ live: true, streamId: 's1', followers: [] });
      expect(await repo.readProgress(TOPIC, 0)).toEqual({ offset: '9', maxEventTime: T0 + 7_000 });
    });

    it('applies a redelivered batch once, and only the new part of an overlapping one', async () => {
      const messages = withOffsets(showEvents());
      await apply(messages.slice(0, 6));
      const again = await apply(messages.slice(0, 6));
      expect(again.update).toBeNull();
      const overlapping = await apply(messages);
      expect(overlapping.outcome?.status).toBe('applied');
      const [s] = await repo.readStreams(['s1']);
      expect(s).toMatchObject({ chats: 1, bids: 2, purchases: 2, gmv: { EUR: 3000 }, uniqueViewers: 2 });
    });

    it('refuses a fold against an outdated offset and reports duplicates', async () => {
      const messages = withOffsets(showEvents());
      const update = fold.fold(TOPIC, 0, messages.slice(0, 5), { offset: null, maxEventTime: 0 });
      if (!update) throw new Error('nothing folded');
      await apply(messages.slice(0, 3));
      expect(await repo.applyBatch(update)).toEqual({
        status: 'conflict',
        progress: { offset: '2', maxEventTime: T0 + 2_000 },
      });
      await apply(messages);
      expect(await repo.applyBatch(update)).toEqual({ status: 'duplicate' });
    });

    it('gives the same counts and decayed rates however the events are batched', async () => {
      const events = showEvents();
      const one = withOffsets(events, 0);
      await apply(one, 0);
      // The same events as stream s2 on partition 2, in three batches.
      const g = new EnrichedEventFactory('g');
      const copy = events.map((e) =>
        g.enrich({
          ...e,
          data: { ...e.data, ...('streamId' in e.data ? { streamId: 's2' } : {}) },
        } as EnrichedEvent),
      );
      const parts = withOffsets(copy, 2);
      for (const part of [parts.slice(0, 4), parts.slice(4, 5), parts.slice(5)]) await apply(part, 2);
      const [a, b] = await repo.readStreams(['s1', 's2']);
      if (!a || !b) throw new Error('missing stream');
      const exact = ({
        rates: _r,
        score: _s,
        velocity: _v,
        peakViewers: _p,
        id: _i,
        partition: _q,
        ...rest
      }: StreamState) => rest;
      expect(exact(b)).toEqual(exact(a));
      // the peak is sampled at batch ends: finer batches can only see a higher one
      expect(b.peakViewers).toBeGreaterThanOrEqual(a.peakViewers);
      b.rates.forEach((v, i) => expect(v).toBeCloseTo(a.rates[i], 9));
      expect(b.score).toBeCloseTo(a.score, 9);
      expect(b.velocity).toBeCloseTo(a.velocity, 9);
    });

    it('merges a batch of events older than the stored sums (out of order, not late) as if in order', async () => {
      const g = new EnrichedEventFactory('g');
      const show = (h: EnrichedEventFactory, streamId: string) => [
        h.started(streamId, T0, 'seller-1', 'watches', 'en'),
        h.event('chat.message', T0 + 20_000, { userId: 'u1', streamId }),
        h.event('chat.message', T0 + 5_000, { userId: 'u2', streamId }),
        h.event('view.started', T0 + 6_000, { userId: 'u3', streamId }),
      ];
      await apply(withOffsets(show(f, 's1'), 0), 0);
      // the same on partition 2, the two older events in a batch of their own after the newer one
      const [start, newer, ...older] = withOffsets(show(g, 's2'), 2);
      await apply([start, newer], 2);
      await apply(older, 2);
      const [together, apart] = await repo.readStreams(['s1', 's2']);
      if (!together || !apart) throw new Error('missing stream');
      expect(apart.rates[rateSlot('chats', 0)]).toBeGreaterThan(0);
      apart.rates.forEach((v, i) => expect(v).toBeCloseTo(together.rates[i], 12));
      expect(apart.chats).toBe(2);
    });

    it('counts a viewer who joins again in a later batch once, in the total and the new-viewer rate', async () => {
      const rejoin = (g: EnrichedEventFactory, streamId: string): EnrichedEvent[] => [
        g.started(streamId, T0, 'seller-1', 'watches', 'en'),
        g.event('view.started', T0 + 1_000, { userId: 'u1', streamId }),
        g.event('view.ended', T0 + 2_000, { userId: 'u1', streamId }),
        g.event('view.started', T0 + 3_000, { userId: 'u1', streamId }),
        g.event('view.started', T0 + 4_000, { userId: 'u2', streamId }),
      ];
      await apply(withOffsets(rejoin(f, 's1'), 0), 0);
      // one event per batch: each join is the only first-seen user of its batch
      for (const message of withOffsets(rejoin(new EnrichedEventFactory('g'), 's2'), 2))
        await apply([message], 2);
      const [together, apart] = await repo.readStreams(['s1', 's2']);
      if (!together || !apart) throw new Error('missing stream');
      expect(together.uniqueViewers).toBe(2);
      expect(apart.uniqueViewers).toBe(2);
      expect(apart.viewers).toBe(2);
      apart.rates.forEach((v, i) => expect(v).toBeCloseTo(together.rates[i], 9));
    });

    it('drops a stream from live, its lease and its seller when it ends or is removed', async () => {
      await apply(withOffsets([...showEvents(), f.started('s2', T0 + 100, 'seller-2', 'sneakers', 'de')]));
      await apply(withOffsets([f.event('stream.ended', T0 + 8_000, { streamId: 's1' })]));
      expect(await repo.readLive()).toEqual(['s2']);
      expect((await repo.leaseHolders(TOPIC, 0, T0 + 100_000, 10)).map((l) => l.streamId)).toEqual(['s2']);
      expect(await repo.readSeller('seller-1')).toMatchObject({ live: false });
      const [s1] = await repo.readStreams(['s1']);
      expect(s1).toMatchObject({
        live: false,
        endReason: 'ended',
        endedAt: T0 + 8_000,
        viewers: 0,
        chats: 1,
      });
      await apply(withOffsets([f.event('stream.removed', T0 + 9_000, { streamId: 's2', reason: 'policy' })]));
      expect(await repo.readLive()).toEqual([]);
      expect(await repo.leaseHolders(TOPIC, 0, T0 + 100_000, 10)).toEqual([]);
      expect((await repo.readStreams(['s2']))[0]?.endReason).toBe('removed');
    });

    it("expires an ended stream's keys endedTtlSec after its last write; a restart keeps them", async () => {
      await apply(withOffsets(showEvents()));
      expect(await subject.streamKeyTtls('s1')).toEqual([-1, -1, -1, -1]);
      await apply(withOffsets([f.event('stream.ended', T0 + 8_000, { streamId: 's1' })]));
      const ttls = await subject.streamKeyTtls('s1');
      expect(ttls).toHaveLength(4);
      for (const ttl of ttls) {
        expect(ttl).toBeGreaterThan(settings.endedTtlSec - 60);
        expect(ttl).toBeLessThanOrEqual(settings.endedTtlSec);
      }
      await apply(withOffsets([f.started('s1', T0 + 9_000)]));
      expect(await subject.streamKeyTtls('s1')).toEqual([-1, -1, -1, -1]);
    });

    it('expires a stream only when the expiry matches its last activity', async () => {
      await apply(
        withOffsets([f.started('s1', T0), f.event('stream.heartbeat', T0 + 5_000, { streamId: 's1' })]),
      );
      expect(await repo.leaseHolders(TOPIC, 0, T0 + 5_000, 10)).toEqual([
        { streamId: 's1', lastActivityAt: T0 + 5_000 },
      ]);
      expect(await repo.leaseHolders(TOPIC, 0, T0 + 4_999, 10)).toEqual([]);
      const stale = expiredEventId('s1', T0);
      await apply(withOffsets([f.event('stream.expired', T0 + 65_000, { streamId: 's1' }, stale)]));
      expect((await repo.readStreams(['s1']))[0]?.live).toBe(true);
      const id = expiredEventId('s1', T0 + 5_000);
      await apply(withOffsets([f.event('stream.expired', T0 + 65_000, { streamId: 's1' }, id)]));
      expect((await repo.readStreams(['s1']))[0]).toMatchObject({ live: false, endReason: 'expired' });
      expect(await repo.leaseHolders(TOPIC, 0, T0 + 100_000, 10)).toEqual([]);
      expect(await repo.readLive()).toEqual([]);
    });

    it("renews the leases of a batch's live streams, never backwards, never an ended one", async () => {
      await apply(withOffsets(['s1', 's2', 's3'].map((id) => f.started(id, T0))));
      await apply(
        withOffsets([
          f.event('stream.heartbeat', T0 + 5_000, { streamId: 's1' }),
          f.event('stream.heartbeat', T0 + 6_000, { streamId: 's2' }),
          f.event('chat.message', T0 + 7_000, { userId: 'u1', streamId: 's3' }),
          f.event('stream.ended', T0 + 8_000, { streamId: 's3' }),
        ]),
      );
      await apply(withOffsets([f.event('stream.heartbeat', T0 + 3_000, { streamId: 's2' })]));
      const holders = await repo.leaseHolders(TOPIC, 0, T0 + 100_000, 10);
      expect(holders.sort((a, b) => a.streamId.localeCompare(b.streamId))).toEqual([
        { streamId: 's1', lastActivityAt: T0 + 5_000 },
        { streamId: 's2', lastActivityAt: T0 + 6_000 },
      ]);
    });

    it('deletes the engagement keys of users idle since a cutoff, never their follows', async () => {
      const userEvents = (g: EnrichedEventFactory) => [
        ...showEvents(),
        g.event('seller.followed', T0 + 8_000, { userId: 'u1', sellerId: 'seller-1' }),
        g.event('rec.impression', T0 + 9_000, { userId: 'u1', requestId: 'r1', streamIds: ['s1'] }),
      ];
      await apply(withOffsets(userEvents(f)));
      const HOUR = 3_600_000;
      await apply(
        withOffsets([f.event('chat.message', T0 + 2 * HOUR + 1_000, { userId: 'u2', streamId: 's1' })]),
      );
      // recorded at the end of the hour of the user's last batch: u1 T0 + 1 h, u2 T0 + 3 h
      expect(await repo.sweepIdleUsers(T0 + HOUR - 1, 100)).toBe(0);
      expect(await repo.sweepIdleUsers(T0 + HOUR, 100)).toBe(1);
      expect(await repo.readUser('u1')).toEqual(withoutEngagement(['seller-1']));
      expect((await repo.readUser('u2')).recent.map(([id]) => id)).toEqual(['s1']);
      expect(await repo.sweepIdleUsers(T0 + 3 * HOUR - 1, 100)).toBe(0);
      // active again: seen anew, swept only past its new time
      await apply(withOffsets([f.event('chat.message', T0 + 4 * HOUR, { userId: 'u1', streamId: 's1' })]));
      expect(await repo.sweepIdleUsers(T0 + 3 * HOUR, 1)).toBe(1);
      expect((await repo.readUser('u2')).recent).toEqual([]);
      expect((await repo.readUser('u1')).recent.map(([id]) => id)).toEqual(['s1']);
      // USER_ENGAGEMENT_TTL_SEC=0: nothing recorded, nothing swept
      const forever = { ...settings, userTtlSec: 0 };
      const other = await create(forever);
      try {
        const events = userEvents(new EnrichedEventFactory('k'));
        await new BatchApplier(new BatchFoldService(forever), other.repository).apply(
          TOPIC,
          0,
          events.map((event, i) => ({ offset: String(i), event })),
        );
        expect(await other.repository.sweepIdleUsers(T0 + 100_000, 100)).toBe(0);
        expect((await other.repository.readUser('u1')).recent.map(([id]) => id)).toEqual(['s1']);
      } finally {
        await other.close();
      }
    });

    it('records a user erased, or only followed, then active again within the hour', async () => {
      const HOUR = 3_600_000;
      const chat = (userId: string, at: number) => f.event('chat.message', at, { userId, streamId: 's1' });
      await apply(withOffsets(showEvents()));
      await apply(withOffsets([chat('e1', T0 + 10_000)]));
      await apply(withOffsets([chat('e1', T0 + 11_000)]));
      await apply(withOffsets([f.event('user.erased', T0 + 12_000, { userId: 'e1' })]));
      await apply(
        withOffsets([
          chat('e1', T0 + 13_000),
          f.event('seller.followed', T0 + 13_000, { userId: 'f1', sellerId: 'seller-1' }),
        ]),
      );
      await apply(withOffsets([chat('f1', T0 + 14_000)]));
      expect((await repo.readUser('e1')).recent.map(([id]) => id)).toEqual(['s1']);
      // both recorded at this hour, so both swept with it (their follows stay)
      await repo.sweepIdleUsers(T0 + HOUR, 100);
      expect(await repo.readUser('e1')).toEqual(withoutEngagement([]));
      expect(await repo.readUser('f1')).toEqual(withoutEngagement(['seller-1']));
    });

    it('keeps per-user engagement, follows and feedback, and erases them', async () => {
      await apply(
        withOffsets([
          ...showEvents(),
          f.event('seller.followed', T0 + 8_000, { userId: 'u1', sellerId: 'seller-1' }),
          f.event('seller.followed', T0 + 8_000, { userId: 'u1', sellerId: 'seller-9' }),
          f.event('seller.unfollowed', T0 + 8_500, { userId: 'u1', sellerId: 'seller-9' }),
          f.event('rec.impression', T0 + 9_000, { userId: 'u1', requestId: 'r1', streamIds: ['s1', 's7'] }),
          f.event('rec.clicked', T0 + 9_500, { userId: 'u1', requestId: 'r1', streamId: 's1' }),
        ]),
      );
      await apply(withOffsets([f.event('view.ended', T0 + 61_000, { userId: 'u1', streamId: 's1' })]));
      const u1 = await repo.readUser('u1');
      expect(u1.follows).toEqual(['seller-1']);
      expect(u1.recent[0]).toEqual(['s1', T0 + 61_000]);
      expect(u1.sellers.map(([id]) => id)).toEqual(['seller-1']);
      expect(u1.categories.map(([id]) => id)).toEqual(['watches']);
      expect(u1.sellerCounts).toEqual({
        'seller-1:chats': 1,
        'seller-1:purchases': 1,
        'seller-1:watchMs': 60_000,
      });
      expect(u1.shownCounts).toEqual({ 'i:s1': 1, 'i:s7': 1, 'c:s1': 1 });
      // u2's view started and ended within one batch (u1's across two)
      expect((await repo.readUser('u2')).sellerCounts).toEqual({
        'seller-1:bids': 2,
        'seller-1:purchases': 1,
        'seller-1:watchMs': 5_000,
      });
      expect(u1.shown.map(([id]) => id).sort()).toEqual(['s1', 's7']);
      expect((await repo.readSeller('seller-1')).followers).toEqual(['u1']);
      const erased = await apply(withOffsets([f.event('user.erased', T0 + 70_000, { userId: 'u1' })], 3), 3);
      expect(erased.outcome).toEqual({ status: 'applied', erasedFollows: [['u1', 'seller-1']] });
      expect(await repo.readUser('u1')).toEqual(withoutEngagement([]));
      // nor is the erased user in users:seen: only u2 is left to sweep
      expect(await repo.sweepIdleUsers(T0 + 1_000 * 3_600_000, 100)).toBe(1);
      expect((await repo.readSeller('seller-1')).followers).toEqual([]);
      expect((await repo.readStreams(['s1']))[0]?.uniqueViewers).toBe(2);
    });

    it('no longer writes the per-stream affinities, and still erases those of older versions', async () => {
      await subject.writeLegacyUserStreams('u1', [['s0', 3.5]]);
      // u2's view ends within the batch, u1's in the next one (both paths of the watch time)
      await apply(withOffsets(showEvents()));
      await apply(withOffsets([f.event('view.ended', T0 + 61_000, { userId: 'u1', streamId: 's1' })]));
      expect(await subject.readLegacyUserStreams('u1')).toEqual([['s0', 3.5]]);
      expect(await subject.readLegacyUserStreams('u2')).toEqual([]);
      await apply(withOffsets([f.event('user.erased', T0 + 70_000, { userId: 'u1' })], 2), 2);
      expect(await subject.readLegacyUserStreams('u1')).toEqual([]);
    });

    it('keeps late events out of the windows', async () => {
      const events = ['a', 'b', 'c', 'd'].map((id, i) => f.started(id, T0 + i));
      await apply(
        withOffsets([
          ...events,
          ...['a', 'b', 'c', 'd'].map((id, i) =>
            f.event('view.started', T0 + 10 + i, { userId: `v${i}`, streamId: id }),
          ),
        ]),
      );
      expect(await repo.readLive()).toEqual(['a', 'b', 'c', 'd']);
      await apply(withOffsets([f.event('chat.message', T0 + 600_000, { userId: 'x', streamId: 'a' })]));
      const before = (await repo.readStreams(['a']))[0];
      const late = await apply(
        withOffsets([f.event('chat.message', T0 + 1_000, { userId: 'y', streamId: 'a' })]),
      );
      expect(late.update?.lateEvents).toBe(1);
      const after = (await repo.readStreams(['a']))[0];
      expect(after?.chats).toBe(2);
      expect(after?.rates).toEqual(before?.rates);
    });

    it('keeps the streams of applied batches pending until acked at their latest offset', async () => {
      await apply(withOffsets([f.started('a', T0), f.started('b', T0)], 1), 1); // offsets 0, 1
      expect(await repo.readPending(TOPIC, 1)).toEqual([
        { partition: 1, streamId: 'a', offset: 1 },
        { partition: 1, streamId: 'b', offset: 1 },
      ]);
      expect(await repo.readPending(TOPIC, 0)).toEqual([]);
      await apply(withOffsets([f.event('chat.message', T0 + 1, { userId: 'u', streamId: 'b' })], 1), 1);
      // b was touched again at offset 2: an ack of its record as of offset 1 keeps it pending
      await repo.ackPending(TOPIC, [
        { partition: 1, streamId: 'a', offset: 1 },
        { partition: 1, streamId: 'b', offset: 1 },
      ]);
      expect(await repo.readPending(TOPIC, 1)).toEqual([{ partition: 1, streamId: 'b', offset: 2 }]);
      // a redelivered batch adds nothing
      await new BatchApplier(fold, repo).apply(TOPIC, 1, [{ offset: '0', event: f.started('a', T0) }]);
      await repo.ackPending(TOPIC, [{ partition: 1, streamId: 'b', offset: 2 }]);
      expect(await repo.readPending(TOPIC, 1)).toEqual([]);
    });

    it('reads decayed sums the previous version wrote as text, and keeps them exact', async () => {
      // awkward doubles: 17 significant digits needed, tiny, huge, negative zero excluded (text '-0')
      const legacy = Array.from({ length: 27 }, (_, i) =>
        i % 3 === 0 ? 0 : (i + 1) / 7 + Math.PI * 10 ** (i - 13),
      );
      await subject.writeStreamHash('old', {
        live: '1',
        sellerId: 'seller-1',
        title: 'old',
        category: 'watches',
        language: 'en',
        startedAt: String(T0),
        lastEventAt: String(T0 + 1_000),
        rt: String(T0 + 1_000),
        // as the previous script wrote them: string.format('%.17g,...')
        r: legacy.map((v) => (v === 0 ? '0' : v.toPrecision(17))).join(','),
      });
      expect((await repo.readStreams(['old']))[0]?.rates).toEqual(legacy);
      // a chat at the stream's decay time: the chat slots get +1 (decay factor exp(0) = 1), the
      // other 24 sums are rewritten (binary) bit for bit
      await apply(withOffsets([f.event('chat.message', T0 + 1_000, { userId: 'u1', streamId: 'old' })]));
      const [s] = await repo.readStreams(['old']);
      expect(s?.chats).toBe(1);
      expect(s?.rates).toEqual(legacy.map((v, i) => (i < 3 ? v + 1 : v)));
      await apply(withOffsets([f.event('stream.heartbeat', T0 + 1_000, { streamId: 'old' })]));
      expect((await repo.readStreams(['old']))[0]?.rates).toEqual(s?.rates);
    });

    it('stores watermarks and deletes everything', async () => {
      await apply(withOffsets(showEvents()));
      await repo.writeWatermarks([{ topic: TOPIC, partition: 2, eventTime: T0, updatedAt: T0 + 1 }]);
      expect(await repo.readWatermarks()).toEqual([
        { topic: TOPIC, partition: 2, eventTime: T0, updatedAt: T0 + 1 },
      ]);
      expect(await repo.deleteAll()).toBeGreaterThan(0);
      expect(await repo.readStreams(['s1'])).toEqual([null]);
      expect(await repo.readProgress(TOPIC, 0)).toEqual({ offset: null, maxEventTime: 0 });
      expect(await repo.readWatermarks()).toEqual([]);
    });
  });
}
