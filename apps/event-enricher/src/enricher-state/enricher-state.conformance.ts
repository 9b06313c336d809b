import { EnricherStateRepository } from './enricher-state.repository';

/**
 * The one behaviour every EnricherStateRepository must have. Run by a unit spec for the in-memory
 * twin and by an int-spec for the Redis implementation; `create` returns a fresh, empty store.
 */
export function enricherStateConformance(create: () => Promise<EnricherStateRepository>): void {
  let repo: EnricherStateRepository;
  const lookup = (
    claims: { eventId: string; mark: string }[],
    streamIds: string[] = [],
    userIds: string[] = [],
  ) => repo.claimAndLookup({ claims, streamIds, userIds, dedupeWindowSec: 60 });

  beforeEach(async () => {
    repo = await create();
  });

  it('returns null for a first claim and the first mark for every later one', async () => {
    expect((await lookup([{ eventId: 'e1', mark: '0:1' }])).previousMarks).toEqual([null]);
    expect((await lookup([{ eventId: 'e1', mark: '0:1' }])).previousMarks).toEqual(['0:1']);
    expect((await lookup([{ eventId: 'e1', mark: '3:9' }])).previousMarks).toEqual(['0:1']);
  });

  it('applies claims in order within one call', async () => {
    const snapshot = await lookup([
      { eventId: 'a', mark: '1:5' },
      { eventId: 'b', mark: '1:6' },
      { eventId: 'a', mark: '1:7' },
    ]);
    expect(snapshot.previousMarks).toEqual([null, null, '1:5']);
  });

  it('records a duplicate drop once, also when the same message is claimed again (redelivery)', async () => {
    const batch = [
      { eventId: 'd', mark: '2:10' },
      { eventId: 'd', mark: '2:11' },
      { eventId: 'd', mark: '2:12' },
    ];
    const first = await lookup(batch);
    expect(first.previousMarks).toEqual([null, '2:10', '2:10']);
    expect(first.dropRecorded).toEqual([false, false, false]);
    // the batch redelivered: the original is processed again, both drops are already recorded
    const again = await lookup(batch);
    expect(again.previousMarks).toEqual(['2:10', '2:10', '2:10']);
    expect(again.dropRecorded).toEqual([false, true, true]);
    // a new copy of the same eventId elsewhere is a new drop
    expect((await lookup([{ eventId: 'd', mark: '0:3' }])).dropRecorded).toEqual([false]);
  });

  it('forgets a mark after the window', async () => {
    await repo.claimAndLookup({
      claims: [{ eventId: 'x', mark: '0:1' }],
      streamIds: [],
      userIds: [],
      dedupeWindowSec: 1,
    });
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect((await lookup([{ eventId: 'x', mark: '0:2' }])).previousMarks).toEqual([null]);
  });

  it('stores stream contexts and reports unknown streams as absent', async () => {
    const record = {
      sellerId: 'seller-1',
      category: 'sneakers',
      language: 'en',
      live: true,
      startedAt: 1000,
    };
    await repo.apply([{ kind: 'put-stream', streamId: 's1', record }]);
    const snapshot = await lookup([], ['s1', 's2']);
    expect(snapshot.streams.get('s1')).toEqual(record);
    expect(snapshot.streams.has('s2')).toBe(false);
    await repo.apply([{ kind: 'put-stream', streamId: 's1', record: { ...record, live: false } }]);
    expect((await lookup([], ['s1'])).streams.get('s1')?.live).toBe(false);
  });

  it('keeps follow sets in write order and erases a user', async () => {
    await repo.apply([
      { kind: 'follow', userId: 'u1', sellerId: 'seller-1' },
      { kind: 'follow', userId: 'u1', sellerId: 'seller-2' },
      { kind: 'unfollow', userId: 'u1', sellerId: 'seller-1' },
      { kind: 'follow', userId: 'u2', sellerId: 'seller-1' },
    ]);
    let snapshot = await lookup([], [], ['u1', 'u2', 'u3']);
    expect([...(snapshot.follows.get('u1') ?? [])]).toEqual(['seller-2']);
    expect([...(snapshot.follows.get('u2') ?? [])]).toEqual(['seller-1']);
    expect(snapshot.follows.has('u3')).toBe(false);
    await repo.apply([
      { kind: 'erase-user', userId: 'u1' },
      { kind: 'follow', userId: 'u2', sellerId: 'seller-3' },
    ]);
    snapshot = await lookup([], [], ['u1', 'u2']);
    expect(snapshot.follows.has('u1')).toBe(false);
    expect([...(snapshot.follows.get('u2') ?? [])].sort()).toEqual(['seller-1', 'seller-3']);
  });
}
