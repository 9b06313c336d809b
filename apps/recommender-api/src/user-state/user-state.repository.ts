import { EMPTY_USER_SIGNALS, ShownRecord, UserSignals } from '../ranking/ranking.types';

export interface UserState {
  signals: UserSignals;
  /** Unit vector, or null for a user without one (new, or erased). */
  vector: Float32Array | null;
  /** True when the store was down or slower than the deadline: the feed is built without the user. */
  degraded: boolean;
}

export const DEGRADED_USER_STATE: UserState = { signals: EMPTY_USER_SIGNALS, vector: null, degraded: true };

/**
 * Per-user reads are bounded: the aggregator trims these sets, and we read only their heads
 * (docs/key-layout.md "Per user").
 */
export const USER_STATE_READ_LIMITS = { sellers: 50, categories: 20, shown: 100 } as const;

/**
 * A minute watched of `watchMs` counts this fraction of a visit in the "keeps coming back" count:
 * a 10-minute watch is one visit, like one chat, bid or purchase.
 */
export const WATCH_MS_PER_VISIT = 10 * 60_000;

/**
 * What the feed reads about one user, already joined: the aggregator's rows (docs/key-layout.md)
 * for the heads the ranker uses, and the writer's user vector. Both repositories produce this, so
 * one decoder turns it into ranking signals.
 */
export interface UserStateRows {
  vector: Float32Array | null;
  /** `sellers` head, highest affinity first, each with its `seller-counts` (0 when absent). */
  sellers: {
    sellerId: string;
    weight: number;
    chats: number;
    bids: number;
    purchases: number;
    watchMs: number;
  }[];
  categories: [string, number][];
  follows: string[];
  /** `shown` head, most recent first, each with its `shown-counts`. */
  shown: { streamId: string; lastShownAt: number; impressions: number; clicks: number }[];
}

/** The aggregator's rows as ranking signals (weights must be finite and > 0 to count). */
export function userStateOf(rows: UserStateRows): Omit<UserState, 'degraded'> {
  const sellerWeights = new Map<string, number>();
  const sellerSessions = new Map<string, number>();
  for (const s of rows.sellers) {
    if (Number.isFinite(s.weight) && s.weight > 0) sellerWeights.set(s.sellerId, s.weight);
    const visits = s.chats + s.bids + s.purchases + s.watchMs / WATCH_MS_PER_VISIT;
    if (Number.isFinite(visits) && visits > 0) sellerSessions.set(s.sellerId, visits);
  }
  const categoryWeights = new Map<string, number>();
  for (const [category, weight] of rows.categories)
    if (Number.isFinite(weight) && weight > 0) categoryWeights.set(category, weight);
  const shown = new Map<string, ShownRecord>();
  for (const s of rows.shown)
    shown.set(s.streamId, { impressions: s.impressions, clicks: s.clicks, lastShownAt: s.lastShownAt });
  return {
    vector: rows.vector,
    signals: { sellerWeights, sellerSessions, follows: new Set(rows.follows), categoryWeights, shown },
  };
}

/**
 * Everything the feed needs about one user, read at once with a deadline: Redis in a service
 * (RedisUserStateRepository), the aggregator's and writer's in-memory state in the one-process
 * mode (InMemoryUserStateRepository). Both pass user-state.conformance.ts. Never throws: an
 * unavailable store or a missed deadline answers DEGRADED_USER_STATE.
 */
export abstract class UserStateRepository {
  abstract read(userId: string, deadlineMs: number): Promise<UserState>;
  /** Deletes nothing: erasure is the services' job (user.erased); this tells when it is done. */
  abstract hasState(userId: string): Promise<boolean>;
}
