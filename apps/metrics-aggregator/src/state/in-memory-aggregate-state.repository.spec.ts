import { describeAggregateStateConformance } from './aggregate-state.conformance';
import { InMemoryAggregateStateRepository } from './in-memory-aggregate-state.repository';

describeAggregateStateConformance('InMemoryAggregateStateRepository', (settings) =>
  Promise.resolve({
    repository: new InMemoryAggregateStateRepository(settings),
    close: () => Promise.resolve(),
  }),
);
