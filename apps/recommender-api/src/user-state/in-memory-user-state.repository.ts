import {
  DEGRADED_USER_STATE,
  USER_STATE_READ_LIMITS,
  UserState,
  UserStateRepository,
  UserStateRows,
  userStateOf,
} from './user-state.repository';

/**
 * One user's rows in the aggregator's layout (docs/key-layout.md "Per user"), as its in-memory
 * repository returns them: sorted sets highest score first, hashes with their documented fields.
 */
export interface AggregatedUserRows {
  sellers: readonly (readonly [string, number])[];
  categories: readonly (readonly [string, number])[];
  /** `<sellerId>:chats`, `:bids`, `:purchases`, `:watchMs`. */
  sellerCounts: Readonly<Record<string, number>>;
  /** streamId -> last shown or clicked, most recent first. */
  shown: readonly (readonly [string, number])[];
  /** `i:<streamId>` impressions, `c:<streamId>` clicks. */
  shownCounts: Readonly<Record<string, number>>;
  follows: readonly string[];
  /** Only whether it is empty matters here (erasure). */
  recent?: readonly unknown[];
}

/**
 * Where the in-memory twin reads: the aggregator's and the writer's in-memory state of the same
 * process (wired by apps/nowcast). Null until the workers have started.
 */
export interface UserStateSource {
  readUser(userId: string): Promise<AggregatedUserRows>;
  /** The writer's unit vector for the user, or null. */
  userVector(userId: string): Float32Array | null;
}

/**
 * The user-state twin of the one-process mode: the same heads, joins and decoding as the Redis
 * repository (user-state.conformance.ts holds both to it), read from the aggregator's and the
 * writer's in-memory state, so feeds are personalised and erasure is observable without Redis.
 */
export class InMemoryUserStateRepository extends UserStateRepository {
  /** `source`: null until the process's workers have started (reads are degraded until then). */
  constructor(
    private readonly source: () => UserStateSource | null,
    private readonly dimension: number,
  ) {
    super();
  }

  async read(userId: string): Promise<UserState> {
    const source = this.source();
    if (!source) return DEGRADED_USER_STATE;
    try {
      const vector = source.userVector(userId);
      // as in Redis: a vector of another dimension is ignored rather than ranked with
      const usable = vector && vector.length === this.dimension ? vector : null;
      const state = userStateOf(rowsOf(await source.readUser(userId), usable));
      return { signals: state.signals, vector: state.vector, degraded: false };
    } catch {
      return DEGRADED_USER_STATE;
    }
  }

  async hasState(userId: string): Promise<boolean> {
    const source = this.source();
    if (!source) return false;
    const rows = await source.readUser(userId);
    return (
      source.userVector(userId) !== null ||
      rows.sellers.length > 0 ||
      rows.categories.length > 0 ||
      rows.follows.length > 0 ||
      rows.shown.length > 0 ||
      (rows.recent?.length ?? 0) > 0 ||
      Object.keys(rows.sellerCounts).length > 0 ||
      Object.keys(rows.shownCounts).length > 0
    );
  }
}

/** The heads and joins read-user-state.lua makes in Redis. */
function rowsOf(user: AggregatedUserRows, vector: Float32Array | null): UserStateRows {
  const counts = user.sellerCounts;
  const shownCounts = user.shownCounts;
  return {
    vector,
    sellers: user.sellers.slice(0, USER_STATE_READ_LIMITS.sellers).map(([sellerId, weight]) => ({
      sellerId,
      weight,
      chats: counts[`${sellerId}:chats`] ?? 0,
      bids: counts[`${sellerId}:bids`] ?? 0,
      purchases: counts[`${sellerId}:purchases`] ?? 0,
      watchMs: counts[`${sellerId}:watchMs`] ?? 0,
    })),
    categories: user.categories.slice(0, USER_STATE_READ_LIMITS.categories).map(([c, w]) => [c, w]),
    follows: [...user.follows],
    shown: user.shown.slice(0, USER_STATE_READ_LIMITS.shown).map(([streamId, lastShownAt]) => ({
      streamId,
      lastShownAt,
      impressions: shownCounts[`i:${streamId}`] ?? 0,
      clicks: shownCounts[`c:${streamId}`] ?? 0,
    })),
  };
}
