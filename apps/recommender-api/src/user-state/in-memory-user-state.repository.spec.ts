import { AggregatedUserRows, InMemoryUserStateRepository } from './in-memory-user-state.repository';
import { CONFORMANCE_DIMENSION, describeUserStateRepository } from './user-state.conformance';

const EMPTY_ROWS: AggregatedUserRows = {
  sellers: [],
  categories: [],
  sellerCounts: {},
  shown: [],
  shownCounts: {},
  follows: [],
};

describeUserStateRepository('InMemoryUserStateRepository', () => {
  const users = new Map<string, AggregatedUserRows>();
  const vectors = new Map<string, Float32Array>();
  const repository = new InMemoryUserStateRepository(
    () => ({
      readUser: (userId) => Promise.resolve(users.get(userId) ?? EMPTY_ROWS),
      userVector: (userId) => vectors.get(userId) ?? null,
    }),
    CONFORMANCE_DIMENSION,
  );
  return Promise.resolve({
    repository,
    seed: (userId, { vector, ...rows }) => {
      users.set(userId, rows);
      if (vector) vectors.set(userId, vector);
      return Promise.resolve();
    },
  });
});

describe('InMemoryUserStateRepository before the workers start', () => {
  it('answers degraded without state', async () => {
    const repository = new InMemoryUserStateRepository(() => null, CONFORMANCE_DIMENSION);
    expect((await repository.read('u1')).degraded).toBe(true);
    expect(await repository.hasState('u1')).toBe(false);
  });
});
