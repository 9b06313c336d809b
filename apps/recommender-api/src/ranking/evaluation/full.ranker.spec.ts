import { NowcastEvent } from '@app/contracts';
import { LiveCandidate } from '@app/evaluation';
import { rankingProfile } from '../ranking-profiles';
import { FullRanker } from './full.ranker';

let n = 0;
const event = (type: string, occurredAt: number, data: object) =>
  ({ eventId: `e${n++}`, type, schemaVersion: 1, occurredAt, data }) as NowcastEvent;
const started = (streamId: string, sellerId: string, t: number) =>
  event('stream.started', t, {
    streamId,
    sellerId,
    title: streamId,
    category: 'cards',
    language: 'en',
    tags: [],
  });
const candidate = (streamId: string, sellerId: string): LiveCandidate => ({
  streamId,
  sellerId,
  category: 'cards',
  language: 'en',
  title: streamId,
  tags: [],
  startedAt: 0,
});

describe('FullRanker (RankingService in the offline harness)', () => {
  it('learns the seller a user keeps coming back to, and popularity for everyone else', () => {
    const ranker = new FullRanker({
      profile: rankingProfile('balanced', { maxPerSeller: 1, maxPerCategory: 1 }),
    });
    ranker.observe(started('old', 'loved', 0));
    ranker.observe(started('big', 'famous', 0));
    for (let i = 0; i < 3; i++)
      ranker.observe(event('view.started', 10 + i, { userId: 'fan', streamId: 'old' }));
    for (let i = 0; i < 50; i++)
      ranker.observe(event('view.started', 20 + i, { userId: `u${i}`, streamId: 'big' }));
    ranker.observe(started('new', 'loved', 100));
    const live = [candidate('big', 'famous'), candidate('new', 'loved')];
    expect(ranker.rank('fan', live, 200)).toEqual(['new', 'big']);
    expect(ranker.rank('stranger', live, 200)).toEqual(['big', 'new']);
    expect(ranker.name).toBe('full:balanced');
  });
});
