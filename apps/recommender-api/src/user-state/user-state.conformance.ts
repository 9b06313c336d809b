import { AggregatedUserRows } from './in-memory-user-state.repository';
import { UserStateRepository } from './user-state.repository';

/** One user as the aggregator and the writer store it (docs/key-layout.md), for seeding. */
export interface UserFixture extends AggregatedUserRows {
  /** Raw bytes as the writer stores them (float32 LE), or none. */
  vector?: Float32Array;
}

export interface UserStateHarness {
  repository: UserStateRepository;
  /** Writes the fixture where the repository reads (Redis keys, or the in-memory sources). */
  seed(userId: string, fixture: UserFixture): Promise<void>;
}

const DIM = 4;
const DEADLINE_MS = 1_000;
const EMPTY: UserFixture = {
  sellers: [],
  categories: [],
  sellerCounts: {},
  shown: [],
  shownCounts: {},
  follows: [],
};

/**
 * What every UserStateRepository must do, whatever holds the state: Redis
 * (redis-user-state.repository.int-spec.ts) and the one-process mode's twin
 * (in-memory-user-state.repository.spec.ts). The repositories read vectors of dimension 4.
 */
export function describeUserStateRepository(name: string, setup: () => Promise<UserStateHarness>): void {
  describe(`${name} (user-state conformance)`, () => {
    let h: UserStateHarness;
    let n = 0;
    const user = () => `conf-user-${++n}`;

    beforeEach(async () => {
      h = await setup();
    });

    it('reads an unknown user as no signals, no vector, not degraded, and without state', async () => {
      const id = user();
      const state = await h.repository.read(id, DEADLINE_MS);
      expect(state.degraded).toBe(false);
      expect(state.vector).toBeNull();
      expect(state.signals.sellerWeights.size + state.signals.follows.size + state.signals.shown.size).toBe(
        0,
      );
      expect(await h.repository.hasState(id)).toBe(false);
    });

    it('joins the seller and shown counts to the heads it reads, and decodes the vector', async () => {
      const id = user();
      await h.seed(id, {
        ...EMPTY,
        vector: new Float32Array([0.5, 0.5, 0.5, 0.5]),
        sellers: [
          ['s-a', 8],
          ['s-b', 2],
        ],
        sellerCounts: { 's-a:chats': 2, 's-a:bids': 1, 's-a:watchMs': 1_200_000, 's-b:purchases': 1 },
        categories: [
          ['coins', 3],
          ['cards', 1],
        ],
        follows: ['s-c'],
        shown: [
          ['st-1', 2_000],
          ['st-2', 1_000],
        ],
        shownCounts: { 'i:st-1': 3, 'c:st-1': 1, 'i:st-2': 1 },
      });
      const { signals, vector, degraded } = await h.repository.read(id, DEADLINE_MS);
      expect(degraded).toBe(false);
      expect(vector && [...vector]).toEqual([0.5, 0.5, 0.5, 0.5]);
      expect([...signals.sellerWeights]).toEqual([
        ['s-a', 8],
        ['s-b', 2],
      ]);
      // chats + bids + purchases + watchMs / 10 min
      expect(Object.fromEntries(signals.sellerSessions)).toEqual({ 's-a': 5, 's-b': 1 });
      expect(Object.fromEntries(signals.categoryWeights)).toEqual({ coins: 3, cards: 1 });
      expect([...signals.follows]).toEqual(['s-c']);
      expect(Object.fromEntries(signals.shown)).toEqual({
        'st-1': { impressions: 3, clicks: 1, lastShownAt: 2_000 },
        'st-2': { impressions: 1, clicks: 0, lastShownAt: 1_000 },
      });
      expect(await h.repository.hasState(id)).toBe(true);
    });

    it('reads only the heads: top 50 sellers, top 20 categories, 100 most recent impressions', async () => {
      const id = user();
      const ranked = (prefix: string, count: number) =>
        Array.from({ length: count }, (_, i) => [`${prefix}${i}`, count - i] as const);
      await h.seed(id, {
        ...EMPTY,
        sellers: ranked('s', 60),
        categories: ranked('c', 30),
        shown: ranked('st', 120).map(([streamId, k]) => [streamId, 1_000 + k] as const),
      });
      const { signals } = await h.repository.read(id, DEADLINE_MS);
      expect(signals.sellerWeights.size).toBe(50);
      expect(signals.sellerWeights.has('s49')).toBe(true);
      expect(signals.sellerWeights.has('s50')).toBe(false);
      expect(signals.categoryWeights.size).toBe(20);
      expect(signals.shown.size).toBe(100);
      expect(signals.shown.has('st99')).toBe(true);
      expect(signals.shown.has('st100')).toBe(false);
    });

    it('ignores a vector of the wrong dimension and still reads the rest', async () => {
      const id = user();
      await h.seed(id, { ...EMPTY, vector: new Float32Array(DIM + 1).fill(0.1), follows: ['s-x'] });
      const state = await h.repository.read(id, DEADLINE_MS);
      expect(state.vector).toBeNull();
      expect([...state.signals.follows]).toEqual(['s-x']);
    });

    it('has state while any part exists (erasure waits for none)', async () => {
      const onlyFollows = user();
      await h.seed(onlyFollows, { ...EMPTY, follows: ['s-1'] });
      const onlyVector = user();
      await h.seed(onlyVector, { ...EMPTY, vector: new Float32Array([1, 0, 0, 0]) });
      expect(await h.repository.hasState(onlyFollows)).toBe(true);
      expect(await h.repository.hasState(onlyVector)).toBe(true);
    });
  });
}

export const CONFORMANCE_DIMENSION = DIM;
