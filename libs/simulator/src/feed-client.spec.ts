import { NowcastEvent } from '@app/contracts';
import { FeedClient, FeedClientPage } from './feed-client';
import { EventSink } from './sinks/event-sink';

const page: FeedClientPage = {
  items: ['a', 'b', 'c'].map((id) => ({
    streamId: id,
    sellerId: `s-${id}`,
    title: id,
    category: 'cards',
    score: 1,
    reasons: {},
  })),
  requestId: 'req-1',
  nextCursor: null,
  asOf: null,
  rankingProfile: 'balanced',
  stale: false,
  degraded: false,
};

function client(randoms: number[]) {
  const written: NowcastEvent[] = [];
  const sink: EventSink = {
    write: (events) => Promise.resolve(void written.push(...events)),
    close: () => Promise.resolve(),
  };
  let id = 0;
  const feed = new FeedClient({
    baseUrl: 'http://unused',
    sink,
    random: () => randoms.shift() ?? 1,
    nextEventId: () => `e-${id++}`,
    clickProbability: 0.3,
  });
  return { feed, written };
}

describe('FeedClient.react', () => {
  it('emits one impression echoing the requestId, and a position-biased click', () => {
    // position 0: 0.5 >= 0.3 no; position 1: 0.1 < 0.15 click on b
    const { feed } = client([0.5, 0.1]);
    const events = feed.react('u1', page, 1_000);
    expect(events.map((e) => e.type)).toEqual(['rec.impression', 'rec.clicked']);
    expect(events[0].data).toEqual({ userId: 'u1', requestId: 'req-1', streamIds: ['a', 'b', 'c'] });
    expect(events[1].data).toEqual({ userId: 'u1', requestId: 'req-1', streamId: 'b' });
    expect(events.map((e) => e.eventId)).toEqual(['e-0', 'e-1']);
  });

  it('shows without a click when the user ignores the page, and nothing for an empty page', () => {
    const { feed } = client([0.9, 0.9, 0.9]);
    expect(feed.react('u1', page, 1_000).map((e) => e.type)).toEqual(['rec.impression']);
    expect(feed.react('u1', { ...page, items: [] }, 1_000)).toEqual([]);
  });
});
