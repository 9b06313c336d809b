import { AggregatorSettings, DEFAULT_AGGREGATOR_SETTINGS } from '../aggregation/aggregator.settings';
import { BatchApplier } from '../aggregation/batch-applier';
import { BatchFoldService } from '../aggregation/batch-fold.service';
import { EnrichedEventFactory } from '../test-support/enriched-events.factory';
import { ConformanceSubject, describeAggregateStateConformance } from './aggregate-state.conformance';
import { describeStreamUpgradeConformance } from './aggregate-state.upgrade.conformance';
import { InMemoryAggregateStateRepository } from './in-memory-aggregate-state.repository';
import { InMemoryStore } from './in-memory-store';

function subject(settings: AggregatorSettings): Promise<ConformanceSubject> {
  const store = new InMemoryStore();
  return Promise.resolve({
    repository: new InMemoryAggregateStateRepository(settings, store),
    writeStreamHash: (id, fields) => {
      const h = store.hash(`s:${id}`);
      // the twin keeps binary values as latin1 strings (one char per byte)
      for (const [field, value] of Object.entries(fields))
        h.set(field, typeof value === 'string' ? value : value.toString('latin1'));
      return Promise.resolve();
    },
    readStreamLayout: (id) => {
      const h = store.hashes.get(`s:${id}`);
      const r = h?.get('r');
      return Promise.resolve({ fields: [...(h?.keys() ?? [])].sort(), version: r ? r.charCodeAt(0) : null });
    },
    writeStateFormat: (format) => {
      store.strings.set('format', String(format));
      return Promise.resolve();
    },
    readStateFormat: () => {
      const format = store.strings.get('format');
      return Promise.resolve(format === undefined ? null : Number(format));
    },
    readLegacyUserStreams: (userId) => Promise.resolve(store.zsorted(`u:${userId}:streams`).reverse()),
    writeLegacyUserStreams: (userId, members) => {
      for (const [member, score] of members) store.zincr(`u:${userId}:streams`, member, score);
      return Promise.resolve();
    },
    streamKeyTtls: (id) =>
      Promise.resolve(
        [`s:${id}`, `s:${id}:uv`, `s:${id}:ub`, `s:${id}:watching`].map((key) => store.ttl(key)),
      ),
    close: () => Promise.resolve(),
  });
}

describeAggregateStateConformance('InMemoryAggregateStateRepository', subject);
describeStreamUpgradeConformance('InMemoryAggregateStateRepository', subject);

describe('InMemoryAggregateStateRepository expiry', () => {
  it("forgets an ended stream's keys once its TTL has passed, as Redis does", async () => {
    const settings = { ...DEFAULT_AGGREGATOR_SETTINGS, endedTtlSec: 600 };
    let now = Date.UTC(2026, 10, 29, 6);
    const store = new InMemoryStore(() => now);
    const repo = new InMemoryAggregateStateRepository(settings, store);
    const applier = new BatchApplier(new BatchFoldService(settings), repo);
    const f = new EnrichedEventFactory('x');
    const t = now - 60_000;
    await applier.apply('enriched', 0, [
      { offset: '0', event: f.started('s1', t) },
      { offset: '1', event: f.event('view.started', t + 1_000, { userId: 'u1', streamId: 's1' }) },
      { offset: '2', event: f.started('s2', t) },
      { offset: '3', event: f.event('stream.ended', t + 2_000, { streamId: 's1' }) },
    ]);
    now += 599_000;
    expect((await repo.readStreams(['s1']))[0]?.live).toBe(false);
    now += 1_000;
    expect(await repo.readStreams(['s1', 's2'])).toEqual([null, expect.objectContaining({ live: true })]);
    expect(store.keys().filter((key) => key.startsWith('s:s1'))).toEqual([]);
    expect((await repo.readUser('u1')).recent.map(([id]) => id)).toEqual(['s1']);
  });
});
