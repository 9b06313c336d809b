import { NowcastEvent, parseEvent } from '@app/contracts';
import { MarketplaceSimulator } from './marketplace.simulator';

const START = 1_764_150_000_000;

function simulate(
  events: number,
  seed = 7,
  ratePerSec = 200,
): { sim: MarketplaceSimulator; events: NowcastEvent[] } {
  const sim = new MarketplaceSimulator({ seed, startTimeMs: START, ratePerSec });
  return { sim, events: sim.take(events) };
}

/** One long log shared by the distribution tests (about 25 minutes of event time at 200/s). */
const LONG = simulate(300_000);

describe('MarketplaceSimulator: determinism', () => {
  it('yields the same events for the same seed', () => {
    expect(simulate(20_000, 3).events).toEqual(simulate(20_000, 3).events);
  });

  it('yields different events for another seed', () => {
    const a = simulate(2_000, 3).events.map((e) => JSON.stringify(e));
    const b = simulate(2_000, 4).events.map((e) => JSON.stringify(e));
    expect(a.filter((line, i) => line === b[i]).length).toBe(0);
  });

  it('puts idPrefix before every user, seller and stream id, and changes nothing else', () => {
    const plain = simulate(5_000, 3).events;
    const prefixed = new MarketplaceSimulator({
      seed: 3,
      startTimeMs: START,
      ratePerSec: 200,
      idPrefix: 'w2.',
    }).take(5_000);
    const prefixedIds = (e: NowcastEvent) => JSON.stringify(e).replace(/"(user|seller|stream)-/g, '"w2.$1-');
    expect(prefixed.map((e) => JSON.stringify(e))).toEqual(plain.map(prefixedIds));
    expect(prefixed.some((e) => 'sellerId' in e.data && e.data.sellerId.startsWith('w2.seller-'))).toBe(true);
    for (const e of prefixed) expect(parseEvent(JSON.stringify(e), { nowMs: e.occurredAt })).toEqual(e);
  });

  it('refuses an idPrefix that would make the ids invalid', () => {
    expect(() => new MarketplaceSimulator({ seed: 1, startTimeMs: START, idPrefix: 'trial 1/' })).toThrow(
      RangeError,
    );
  });

  it('gives unique UUID-format event ids', () => {
    const ids = LONG.events.map((e) => e.eventId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 100))
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('MarketplaceSimulator: valid, ordered, coherent events', () => {
  it('emits only events that pass the shared parser, in time order', () => {
    // Plain loops and one assertion at the end: 300k expect() calls would take a minute.
    let last = -Infinity;
    const problems: string[] = [];
    for (const event of LONG.events) {
      const line = JSON.stringify(event);
      const parsed = JSON.stringify(parseEvent(line, { nowMs: event.occurredAt }));
      if (parsed !== line) problems.push(`changed by parsing: ${line}`);
      if (event.occurredAt < last) problems.push(`out of order: ${line}`);
      last = event.occurredAt;
    }
    expect(problems.slice(0, 5)).toEqual([]);
  });

  it('never emits system-only, admin-only or feed-client types', () => {
    const types = new Set(LONG.events.map((e) => e.type));
    for (const type of ['stream.expired', 'user.erased', 'rec.impression', 'rec.clicked'])
      expect(types.has(type as never)).toBe(false);
    for (const type of [
      'stream.started',
      'stream.heartbeat',
      'view.started',
      'view.ended',
      'chat.message',
      'auction.started',
      'bid.placed',
      'purchase.completed',
      'giveaway.entered',
      'seller.followed',
    ]) {
      expect(types.has(type as never)).toBe(true);
    }
  });

  it('keeps engagement inside live streams and views between start and end', () => {
    const live = new Set<string>();
    const watching = new Set<string>();
    const problems: string[] = [];
    for (const e of LONG.events) {
      if (e.type === 'stream.started') live.add(e.data.streamId);
      else if (e.type === 'stream.ended' || e.type === 'stream.removed') live.delete(e.data.streamId);
      else if (e.type === 'view.started') {
        if (!live.has(e.data.streamId)) problems.push(`view of a stream not live: ${e.eventId}`);
        watching.add(`${e.data.userId}/${e.data.streamId}`);
      } else if (e.type === 'view.ended') {
        if (!watching.delete(`${e.data.userId}/${e.data.streamId}`))
          problems.push(`end of no view: ${e.eventId}`);
      } else if (e.type === 'chat.message' || e.type === 'bid.placed' || e.type === 'giveaway.entered') {
        if (!live.has(e.data.streamId)) problems.push(`${e.type} in a stream not live: ${e.eventId}`);
        if (!watching.has(`${e.data.userId}/${e.data.streamId}`))
          problems.push(`${e.type} by a non-viewer: ${e.eventId}`);
      }
    }
    expect(problems.slice(0, 5)).toEqual([]);
  });

  it('raises bids within an auction and sells to the last bidder', () => {
    const last = new Map<string, { userId: string; amount: number }>();
    let lower = 0;
    for (const e of LONG.events) {
      if (e.type === 'bid.placed') {
        const previous = last.get(e.data.auctionId);
        if (previous && e.data.amount <= previous.amount) lower++;
        last.set(e.data.auctionId, { userId: e.data.userId, amount: e.data.amount });
      }
    }
    expect(lower).toBe(0);
    // Every auction with bids ends in a purchase by its last bidder, for the last amount.
    const auctionOf = new Map<string, string>();
    for (const e of LONG.events)
      if (e.type === 'auction.started') auctionOf.set(e.data.auctionId, e.data.streamId);
    const sales = LONG.events.filter((e) => e.type === 'purchase.completed');
    const winners = [...last.values()];
    const matched = winners.filter((w) =>
      sales.some(
        (p) => p.type === 'purchase.completed' && p.data.userId === w.userId && p.data.amount === w.amount,
      ),
    );
    expect(winners.length).toBeGreaterThan(100);
    // Auctions still open at the end of the log have no sale yet.
    expect(matched.length / winners.length).toBeGreaterThan(0.9);
  });
});

describe('MarketplaceSimulator: plausible world', () => {
  it('runs near the target rate', () => {
    const span = (LONG.events.at(-1)!.occurredAt - LONG.events[0].occurredAt) / 1_000;
    expect(LONG.events.length / span).toBeGreaterThan(170);
    expect(LONG.events.length / span).toBeLessThan(230);
  });

  it('mostly goes back to sellers already watched (repeat share like LiveRec, 60-70%)', () => {
    const sellerOf = new Map<string, string>();
    const seen = new Map<string, Set<string>>();
    let views = 0;
    let repeats = 0;
    for (const e of LONG.events) {
      if (e.type === 'stream.started') sellerOf.set(e.data.streamId, e.data.sellerId);
      if (e.type !== 'view.started') continue;
      const seller = sellerOf.get(e.data.streamId) ?? '';
      const sellers = seen.get(e.data.userId) ?? new Set<string>();
      // Only views of users seen before count: a log's first view of a user is new by definition.
      if (sellers.size > 0) {
        views++;
        if (sellers.has(seller)) repeats++;
      }
      sellers.add(seller);
      seen.set(e.data.userId, sellers);
    }
    expect(views).toBeGreaterThan(5_000);
    expect(repeats / views).toBeGreaterThan(0.5);
    expect(repeats / views).toBeLessThan(0.85);
  });

  it('has view lengths of a few minutes with a long tail', () => {
    const startedAt = new Map<string, number>();
    const lengths: number[] = [];
    for (const e of LONG.events) {
      const key = 'userId' in e.data && 'streamId' in e.data ? `${e.data.userId}/${e.data.streamId}` : '';
      if (e.type === 'view.started') startedAt.set(key, e.occurredAt);
      if (e.type === 'view.ended' && startedAt.has(key))
        lengths.push(e.occurredAt - (startedAt.get(key) ?? 0));
    }
    lengths.sort((a, b) => a - b);
    const median = lengths[lengths.length >> 1] / 60_000;
    const p90 = lengths[Math.floor(lengths.length * 0.9)] / 60_000;
    expect(median).toBeGreaterThan(2);
    expect(median).toBeLessThan(6);
    expect(p90 / median).toBeGreaterThan(2);
  });

  it('keeps about liveFraction of sellers live', () => {
    const { sim } = LONG;
    const expected = sim.options.sellers * sim.options.liveFraction;
    expect(sim.stats().liveStreams).toBeGreaterThan(expected * 0.7);
    expect(sim.stats().liveStreams).toBeLessThan(expected * 1.3);
  });

  it('has heavy-tailed audiences: the top 10% of streams hold a large share of views', () => {
    const views = new Map<string, number>();
    for (const e of LONG.events)
      if (e.type === 'view.started') views.set(e.data.streamId, (views.get(e.data.streamId) ?? 0) + 1);
    const counts = [...views.values()].sort((a, b) => b - a);
    const total = counts.reduce((a, b) => a + b, 0);
    const top = counts.slice(0, Math.ceil(counts.length / 10)).reduce((a, b) => a + b, 0);
    expect(top / total).toBeGreaterThan(0.3);
  });
});
