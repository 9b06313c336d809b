import { enricherStateConformance } from './enricher-state.conformance';
import { ENDED_STREAM_TTL_SEC } from './enricher-state.repository';
import { InMemoryEnricherStateRepository } from './in-memory-enricher-state.repository';

describe('InMemoryEnricherStateRepository (conformance)', () => {
  enricherStateConformance(() => Promise.resolve(new InMemoryEnricherStateRepository()));
});

describe('InMemoryEnricherStateRepository expiry', () => {
  it('lets go of expired marks, drops and stream contexts that are never read again', async () => {
    let now = Date.UTC(2026, 10, 29, 6);
    const repo = new InMemoryEnricherStateRepository(() => now);
    const claims = Array.from({ length: 1_000 }, (_, i) => ({ eventId: `e${i}`, mark: `0:${i}` }));
    await repo.claimAndLookup({ claims, streamIds: [], userIds: [], dedupeWindowSec: 900 });
    await repo.claimAndLookup({
      claims: [{ eventId: 'e1', mark: '1:1' }],
      streamIds: [],
      userIds: [],
      dedupeWindowSec: 900,
    });
    await repo.apply([{ kind: 'put-stream', streamId: 's1', record: { sellerId: 'seller-1', live: false } }]);
    expect(repo.held).toEqual({ marks: 1_000, drops: 1, streams: 1 });
    now += 899_000;
    await repo.claimAndLookup({ claims: [], streamIds: [], userIds: [], dedupeWindowSec: 900 });
    expect(repo.held).toEqual({ marks: 1_000, drops: 1, streams: 1 });
    now += 1_000;
    await repo.claimAndLookup({
      claims: [{ eventId: 'new', mark: '0:0' }],
      streamIds: [],
      userIds: [],
      dedupeWindowSec: 900,
    });
    expect(repo.held).toEqual({ marks: 1, drops: 0, streams: 1 });
    now += ENDED_STREAM_TTL_SEC * 1000;
    await repo.claimAndLookup({ claims: [], streamIds: [], userIds: [], dedupeWindowSec: 900 });
    expect(repo.held).toEqual({ marks: 0, drops: 0, streams: 0 });
  });
});
