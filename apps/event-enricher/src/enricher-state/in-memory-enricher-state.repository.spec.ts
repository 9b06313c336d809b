import { enricherStateConformance } from './enricher-state.conformance';
import { InMemoryEnricherStateRepository } from './in-memory-enricher-state.repository';

describe('InMemoryEnricherStateRepository (conformance)', () => {
  enricherStateConformance(() => Promise.resolve(new InMemoryEnricherStateRepository()));
});
