import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NowcastEvent, UNKNOWN } from '@app/contracts';
import { EntitySnapshot } from '../entity-cache/stream-context.record';
import { EnrichmentService } from './enrichment.service';

let seq = 0;
const event = (type: NowcastEvent['type'], data: object, occurredAt = 10_000): NowcastEvent =>
  ({ eventId: `e-${++seq}`, type, schemaVersion: 1, occurredAt, data }) as NowcastEvent;
const started = (streamId: string, sellerId: string, at = 1_000) =>
  event(
    'stream.started',
    { streamId, sellerId, title: 't', category: 'sneakers', tags: [], language: 'en' },
    at,
  );
const empty: EntitySnapshot = { streams: new Map(), follows: new Map() };

describe('EnrichmentService', () => {
  const service = new EnrichmentService();

  it('adds ingestedAt to every event and nothing else to events without a stream', () => {
    const { enrichments: enriched } = service.enrichBatch(
      [event('rec.impression', { userId: 'u1', requestId: 'r', streamIds: [] })],
      empty,
      42,
    );
    expect(enriched[0]).toEqual({ ingestedAt: 42 });
  });

  it('marks an unseen stream unknown and its follow status null', () => {
    const { enrichments: enriched } = service.enrichBatch(
      [event('view.started', { userId: 'u1', streamId: 's9' })],
      empty,
      1,
    );
    expect(enriched[0]).toEqual({ ingestedAt: 1, stream: UNKNOWN, followsSeller: null });
  });

  it('lets later events of a batch see earlier lifecycle and follow events', () => {
    const { enrichments: enriched, writes } = service.enrichBatch(
      [
        event('view.started', { userId: 'u1', streamId: 's1' }, 900),
        started('s1', 'seller-1', 1_000),
        event('view.started', { userId: 'u1', streamId: 's1' }, 1_500),
        event('seller.followed', { userId: 'u1', sellerId: 'seller-1' }, 1_600),
        event('chat.message', { userId: 'u1', streamId: 's1' }, 2_000),
        event('stream.ended', { streamId: 's1' }, 3_000),
        event('view.ended', { userId: 'u1', streamId: 's1' }, 3_100),
      ],
      empty,
      5,
    );
    expect(enriched.map((e) => e.stream)).toEqual([
      UNKNOWN,
      { sellerId: 'seller-1', category: 'sneakers', language: 'en', live: true, ageMs: 0 },
      { sellerId: 'seller-1', category: 'sneakers', language: 'en', live: true, ageMs: 500 },
      undefined,
      { sellerId: 'seller-1', category: 'sneakers', language: 'en', live: true, ageMs: 1_000 },
      { sellerId: 'seller-1', category: 'sneakers', language: 'en', live: false, ageMs: 2_000 },
      { sellerId: 'seller-1', category: 'sneakers', language: 'en', live: false, ageMs: 2_100 },
    ]);
    expect(enriched.map((e) => e.followsSeller)).toEqual([
      null,
      undefined,
      false,
      undefined,
      true,
      undefined,
      true,
    ]);
    expect(writes).toEqual([
      { kind: 'follow', userId: 'u1', sellerId: 'seller-1' },
      {
        kind: 'put-stream',
        streamId: 's1',
        record: { sellerId: 'seller-1', category: 'sneakers', language: 'en', live: false, startedAt: 1_000 },
      },
    ]);
  });

  it('uses the snapshot and never mutates it', () => {
    const snapshot: EntitySnapshot = {
      streams: new Map([
        ['s1', { sellerId: 'seller-1', category: 'art', language: 'fr', live: true, startedAt: 0 }],
      ]),
      follows: new Map([['u1', new Set(['seller-1'])]]),
    };
    const { enrichments: enriched, writes } = service.enrichBatch(
      [
        event(
          'bid.placed',
          { userId: 'u1', streamId: 's1', auctionId: 'a', amount: 1, currency: 'USD' },
          100,
        ),
        event('seller.unfollowed', { userId: 'u1', sellerId: 'seller-1' }),
        event('stream.updated', { streamId: 's1', category: 'books' }),
        event('purchase.completed', { userId: 'u1', streamId: 's1', amount: 1, currency: 'USD' }, 200),
      ],
      snapshot,
      0,
    );
    expect(enriched[0]).toMatchObject({
      followsSeller: true,
      stream: { category: 'art', ageMs: 100 },
    });
    expect(enriched[3]).toMatchObject({ followsSeller: false, stream: { category: 'books' } });
    expect(snapshot.follows.get('u1')?.has('seller-1')).toBe(true);
    expect(snapshot.streams.get('s1')?.category).toBe('art');
    expect(writes).toContainEqual({ kind: 'unfollow', userId: 'u1', sellerId: 'seller-1' });
  });

  it("drops an erased user's follows for the rest of the batch and asks the cache to erase them", () => {
    const snapshot: EntitySnapshot = {
      streams: new Map([
        ['s1', { sellerId: 'seller-1', category: 'art', language: 'fr', live: true, startedAt: 0 }],
      ]),
      follows: new Map([['u1', new Set(['seller-1'])]]),
    };
    const { enrichments: enriched, writes } = service.enrichBatch(
      [event('user.erased', { userId: 'u1' }), event('view.started', { userId: 'u1', streamId: 's1' })],
      snapshot,
      0,
    );
    expect(enriched[1].followsSeller).toBe(false);
    expect(writes).toEqual([{ kind: 'erase-user', userId: 'u1' }]);
  });

  it('does not write for heartbeats, nor for ends of unknown streams', () => {
    const { writes } = service.enrichBatch(
      [
        event('stream.heartbeat', { streamId: 's1' }),
        event('stream.removed', { streamId: 's2', reason: 'x' }),
      ],
      empty,
      0,
    );
    expect(writes).toEqual([]);
  });

  describe('lifecycle records', () => {
    const fixtures = join(__dirname, '../../../../libs/contracts/fixtures/v1');
    const golden = (path: string) => JSON.parse(readFileSync(join(fixtures, path), 'utf8')) as unknown;

    it('turns the golden start and end events into the golden lifecycle records', () => {
      const { lifecycle } = service.enrichBatch(
        [golden('stream.started.json'), golden('stream.ended.json')] as NowcastEvent[],
        empty,
        0,
      );
      expect(lifecycle).toEqual([
        golden('../stream-lifecycle.v1/started.json'),
        golden('../stream-lifecycle.v1/ended.json'),
      ]);
    });

    it('writes every end and removal, naming the ended run only when it is known; nothing else', () => {
      const snapshot: EntitySnapshot = {
        streams: new Map([
          ['s1', { sellerId: 'seller-1', category: 'art', language: 'fr', live: true, startedAt: 700 }],
        ]),
        follows: new Map(),
      };
      const { lifecycle } = service.enrichBatch(
        [
          event('stream.heartbeat', { streamId: 's1' }),
          event('stream.updated', { streamId: 's1', title: 'new title' }),
          event('stream.removed', { streamId: 's1', reason: 'x' }, 900),
          event('stream.expired', { streamId: 's1' }, 950),
          event('stream.ended', { streamId: 's2' }, 1_000),
        ],
        snapshot,
        0,
      );
      expect(lifecycle).toEqual([
        expect.objectContaining({
          streamId: 's1',
          live: false,
          startedAt: 700,
          endedAt: 900,
          endReason: 'removed',
        }),
        {
          schemaVersion: 1,
          streamId: 's2',
          eventId: expect.any(String) as string,
          live: false,
          endedAt: 1_000,
          endReason: 'ended',
        },
      ]);
    });
  });
});
