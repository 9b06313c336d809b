import { AggregatorSettings } from '../aggregation/aggregator.settings';
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
    close: () => Promise.resolve(),
  });
}

describeAggregateStateConformance('InMemoryAggregateStateRepository', subject);
describeStreamUpgradeConformance('InMemoryAggregateStateRepository', subject);
