import { describeAggregateStateConformance } from './aggregate-state.conformance';
import { InMemoryAggregateStateRepository } from './in-memory-aggregate-state.repository';
import { InMemoryStore } from './in-memory-store';

describeAggregateStateConformance('InMemoryAggregateStateRepository', (settings) => {
  const store = new InMemoryStore();
  return Promise.resolve({
    repository: new InMemoryAggregateStateRepository(settings, store),
    writeStreamHash: (id, fields) => {
      const h = store.hash(`s:${id}`);
      for (const [field, value] of Object.entries(fields)) h.set(field, value);
      return Promise.resolve();
    },
    readLegacyUserStreams: (userId) => Promise.resolve(store.zsorted(`u:${userId}:streams`).reverse()),
    writeLegacyUserStreams: (userId, members) => {
      for (const [member, score] of members) store.zincr(`u:${userId}:streams`, member, score);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  });
});
