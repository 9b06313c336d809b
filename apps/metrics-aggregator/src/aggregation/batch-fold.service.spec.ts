import { EnrichedEvent } from '@app/contracts';
import { EnrichedEventFactory } from '../test-support/enriched-events.factory';
import { expiredEventId } from '../liveness/expired-event-id';
import { DEFAULT_AGGREGATOR_SETTINGS, WINDOW_TAUS_MS } from './aggregator.settings';
import { BatchFoldService, OffsetEvent } from './batch-fold.service';
import { decayMerge, forwardDecayed, rateSlot } from './decay';

const T0 = Date.UTC(2026, 10, 26, 12);
const fold = new BatchFoldService(DEFAULT_AGGREGATOR_SETTINGS);
const fresh = { offset: null, maxEventTime: 0 };
const at = (events: EnrichedEvent[], start = 0): OffsetEvent[] =>
  events.map((event, i) => ({ offset: String(start + i), event }));

describe('BatchFoldService', () => {
  const f = new EnrichedEventFactory('f');

  it('folds 1,000 events on 200 streams into 200 stream deltas with exact counts', () => {
    const events: EnrichedEvent[] = [];
    for (let i = 0; i < 1_000; i++) {
      const streamId = `s${i % 200}`;
      events.push(
        i % 2 === 0
          ? f.event('chat.message', T0 + i, { userId: `u${i % 7}`, streamId })
          : f.event('purchase.completed', T0 + i, {
              userId: `u${i % 7}`,
              streamId,
              amount: 0.1,
              currency: 'EUR',
            }),
      );
    }
    const update = fold.fold('t', 0, at(events), fresh);
    expect(update?.streams).toHaveLength(200);
    const s0 = update?.streams.find((s) => s.id === 's0');
    expect(s0).toMatchObject({ chats: 5, purchases: 0 });
    const s1 = update?.streams.find((s) => s.id === 's1');
    expect(s1).toMatchObject({ purchases: 5, gmv: { EUR: 5_000 } });
    expect(update?.users).toHaveLength(7);
    expect(update).toMatchObject({
      lastOffset: '999',
      expectOffset: '',
      maxEventTime: T0 + 999,
      lateEvents: 0,
    });
  });

  it('pre-sums decayed rates at the stream latest event time, equal to merging one by one', () => {
    const times = [0, 10_000, 25_000, 61_000].map((d) => T0 + d);
    const update = fold.fold(
      't',
      0,
      at(times.map((t) => f.event('chat.message', t, { userId: 'u', streamId: 's' }))),
      fresh,
    );
    const s = update?.streams[0];
    expect(s?.T).toBe(T0 + 61_000);
    WINDOW_TAUS_MS.forEach((tau, w) => {
      let v = 0;
      let t0 = 0;
      for (const t of times) {
        v = decayMerge(v, t0, 1, t, tau);
        t0 = Math.max(t0, t);
      }
      expect(s?.rates[rateSlot('chats', w)]).toBeCloseTo(v, 12);
    });
  });

  it('skips what the stored offset covers and returns null for a full redelivery', () => {
    const events = at(
      [f.started('s', T0), f.event('chat.message', T0 + 1, { userId: 'u', streamId: 's' })],
      10,
    );
    expect(fold.fold('t', 0, events, { offset: '11', maxEventTime: T0 })).toBeNull();
    const partial = fold.fold('t', 0, events, { offset: '10', maxEventTime: T0 });
    expect(partial?.streams[0]).toMatchObject({ chats: 1, life: [] });
    expect(partial?.expectOffset).toBe('10');
  });

  it('keeps late events out of the windows and the lease but in lifetime totals', () => {
    const lateness = DEFAULT_AGGREGATOR_SETTINGS.latenessMs;
    const update = fold.fold(
      't',
      0,
      at([
        f.event('chat.message', T0 + 1, { userId: 'u', streamId: 'a' }),
        f.event('chat.message', T0 - lateness - 10, { userId: 'u', streamId: 'b' }),
        f.event('view.started', T0 - lateness + 10, { userId: 'v', streamId: 'b' }),
      ]),
      { offset: null, maxEventTime: T0 },
    );
    const b = update?.streams.find((s) => s.id === 'b');
    expect(update?.lateEvents).toBe(1);
    expect(b).toMatchObject({ chats: 1, act: T0 - lateness + 10, T: T0 - lateness + 10 });
    expect(b?.rates[rateSlot('chats', 0)]).toBe(0);
    expect(b?.viewers).toEqual([['v', T0 - lateness + 10, 0]]);
  });

  it('records lifecycle steps in order with the activity before an expiry', () => {
    const id = expiredEventId('s', T0 + 5);
    const update = fold.fold(
      't',
      0,
      at([
        f.started('s', T0),
        f.event('stream.heartbeat', T0 + 5, { streamId: 's' }),
        f.event('stream.expired', T0 + 60_005, { streamId: 's' }, id),
        f.event('stream.ended', T0 + 70_000, { streamId: 's' }),
      ]),
      fresh,
    );
    expect(update?.streams[0].life.map((op) => op.op)).toEqual(['start', 'expire', 'end']);
    expect(update?.streams[0].life[1]).toEqual({
      op: 'expire',
      t: T0 + 60_005,
      eventId: id,
      actBefore: T0 + 5,
    });
    expect(update?.streams[0].hb).toBe(T0 + 5);
  });

  it('keeps forward-decayed user affinities, follow state and drops what precedes an erasure', () => {
    const update = fold.fold(
      't',
      0,
      at([
        f.started('s', T0, 'seller-1', 'sneakers'),
        f.event('bid.placed', T0 + 1, {
          userId: 'u',
          streamId: 's',
          auctionId: 'a',
          amount: 5,
          currency: 'USD',
        }),
        f.event('seller.followed', T0 + 2, { userId: 'u', sellerId: 'seller-1' }),
        f.event('seller.unfollowed', T0 + 3, { userId: 'w', sellerId: 'seller-1' }),
        f.event('user.erased', T0 + 4, { userId: 'w' }),
        f.event('seller.followed', T0 + 5, { userId: 'w', sellerId: 'seller-2' }),
      ]),
      fresh,
    );
    const u = update?.users.find((x) => x.id === 'u');
    const w = forwardDecayed(
      2,
      T0 + 1,
      DEFAULT_AGGREGATOR_SETTINGS.userDecayEpochMs,
      DEFAULT_AGGREGATOR_SETTINGS.userHalfLifeMs,
    );
    expect(u?.sellers?.get('seller-1')).toBeCloseTo(w, 9);
    expect(u?.categories).toEqual(new Map([['sneakers', u?.sellers?.get('seller-1')]]));
    expect(u?.sellerCounts).toEqual(new Map([['seller-1', [0, 1, 0]]]));
    expect(u?.follows).toEqual([['seller-1', 1, T0 + 2]]);
    expect(update?.users.find((x) => x.id === 'w')).toMatchObject({
      erase: true,
      follows: [['seller-2', 1, T0 + 5]],
    });
    expect(update?.streams[0].bidders).toEqual([['u', T0 + 1, 0]]);
  });

  it('carries a poison message offset without folding anything', () => {
    const update = fold.fold('t', 3, [{ offset: '7', event: null }], fresh);
    expect(update).toMatchObject({ lastOffset: '7', streams: [], users: [], partition: 3 });
  });
});
