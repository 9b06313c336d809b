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
    close: () => Promise.resolve(),
  });
});
