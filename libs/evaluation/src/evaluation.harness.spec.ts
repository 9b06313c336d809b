import { EventDataMap, EventType, NowcastEvent, SCHEMA_VERSION } from '@app/contracts';
import { PopularityRanker, RepeatRanker } from './baseline.rankers';
import { evaluateRankers } from './evaluation.harness';
import { LiveSetTracker } from './live-set.tracker';

let n = 0;
function ev<T extends EventType>(type: T, seconds: number, data: EventDataMap[T]): NowcastEvent {
  return {
    eventId: `e${++n}`,
    type,
    schemaVersion: SCHEMA_VERSION,
    occurredAt: seconds * 1000,
    data,
  } as NowcastEvent;
}
const start = (streamId: string, sellerId: string) =>
  ev('stream.started', 0, { streamId, sellerId, title: streamId, category: 'c', tags: [], language: 'en' });
const view = (userId: string, streamId: string, seconds: number) =>
  ev('view.started', seconds, { userId, streamId });

// Hand-made log; the first 6 events are the warm-up.
const LOG: NowcastEvent[] = [
  start('A', 'sA'),
  start('B', 'sB'),
  start('C', 'sC'),
  view('u1', 'A', 1),
  view('u2', 'A', 2),
  view('u3', 'B', 3),
  // scored from here. POP counts before each point / REP order, target rank:
  view('u1', 'A', 4), // POP sA2 sB1 sC0 -> A 1st; REP u1{sA} -> 1st; repeat
  view('u3', 'B', 5), // POP sA3 sB1 -> B 2nd; REP u3{sB} -> 1st; repeat
  view('u3', 'C', 6), // POP sA3 sB2 sC0 -> C 3rd; REP B, A(pop), C -> 3rd; new
  ev('stream.ended', 7, { streamId: 'A' }),
  view('u2', 'B', 8), // live B, C; POP sB2 sC0 -> B 1st; REP u2{sA} not live, ties by pop -> 1st; new
  view('u4', 'D', 9), // D never live: skipped
];

describe('evaluateRankers (LiveRec protocol)', () => {
  it('matches hand-computed HR and NDCG, split into repeat and new targets', async () => {
    const report = await evaluateRankers(LOG, [new PopularityRanker(), new RepeatRanker()], {
      warmupEvents: 6,
    });
    expect(report).toMatchObject({ events: 12, points: 4, skipped: 1, meanCandidates: 2.75 });
    const [pop, rep] = report.rankers;
    const l2 = (rank: number) => 1 / Math.log2(rank + 1);
    // POP ranks: 1, 2 (repeat), 3, 1 (new)
    expect(pop.all).toMatchObject({ count: 4, hr1: 0.5, hr5: 1, hr10: 1 });
    expect(pop.all.ndcg10).toBeCloseTo((l2(1) + l2(2) + l2(3) + l2(1)) / 4, 12);
    expect(pop.all.mrr).toBeCloseTo((1 + 1 / 2 + 1 / 3 + 1) / 4, 12);
    expect(pop.repeat).toMatchObject({ count: 2, hr1: 0.5 });
    expect(pop.repeat.ndcg10).toBeCloseTo((1 + l2(2)) / 2, 12);
    expect(pop.new).toMatchObject({ count: 2, hr1: 0.5, hr5: 1 });
    expect(pop.new.ndcg10).toBeCloseTo((l2(3) + 1) / 2, 12);
    // REP ranks: 1, 1 (repeat), 3, 1 (new)
    expect(rep.all).toMatchObject({ count: 4, hr1: 0.75, hr10: 1 });
    expect(rep.all.ndcg10).toBeCloseTo((3 + l2(3)) / 4, 12);
    expect(rep.repeat).toMatchObject({ count: 2, hr1: 1, ndcg10: 1 });
    expect(rep.new.ndcg10).toBeCloseTo(0.75, 12);
  });

  it('counts a target beyond 10 or left out by the ranker as a miss', async () => {
    const starts = Array.from({ length: 12 }, (_, i) => start(`S${String(i).padStart(2, '0')}`, `s${i}`));
    const leftOut = { name: 'none', observe: () => undefined, rank: () => [] };
    const report = await evaluateRankers(
      [...starts, view('u', 'S11', 1)],
      [new PopularityRanker(), leftOut],
      {
        warmupEvents: 0,
      },
    );
    // POP: all counts 0, ties by id: S11 is 12th
    expect(report.rankers[0].all).toMatchObject({ count: 1, hr10: 0, ndcg10: 0, mrr: 1 / 12 });
    expect(report.rankers[1].all).toMatchObject({ count: 1, hr10: 0, mrr: 0 });
  });
});

describe('LiveSetTracker', () => {
  it('drops streams whose lease ran out without heartbeat or engagement', () => {
    const live = new LiveSetTracker(60_000);
    live.observe(start('A', 'sA'));
    live.observe(start('B', 'sB'));
    live.observe(ev('stream.heartbeat', 50, { streamId: 'A' }));
    expect(live.candidates(70_000).map((c) => c.streamId)).toEqual(['A']);
    expect(live.candidates(111_000)).toEqual([]);
  });
});
