import {
  copyIfMoved,
  decayAddScaled,
  decayFactor,
  isNonZero,
  normalizeInPlace,
  normalized,
} from '@app/embeddings';
import { IdleSweptMap } from '../idle-eviction/idle-swept.map';

/** How much one engagement of each kind counts (a purchase says more than a view). */
export const DEFAULT_ACTION_WEIGHTS = {
  'purchase.completed': 5,
  'bid.placed': 2.5,
  'giveaway.entered': 1.5,
  'chat.message': 1.5,
  'rec.clicked': 1,
  'view.started': 1,
} as const;

export type EngagementType = keyof typeof DEFAULT_ACTION_WEIGHTS;
export type ActionWeights = Record<EngagementType, number>;

export function isEngagementType(type: string): type is EngagementType {
  return Object.prototype.hasOwnProperty.call(DEFAULT_ACTION_WEIGHTS, type);
}

/** A user's raw vector and its squared norm (what `engage` returns; reused, read it at once). */
export interface RawUserVector {
  sum: Float32Array;
  squaredNorm: number;
}

interface UserState {
  /** Decayed weighted sum of engaged streams' unit vectors (not normalised). */
  sum: Float32Array;
  /** The last published unit vector, rewritten in place by `publishableVectorOf` (allocated once). */
  unit: Float32Array | null;
  /** Event time of the last update, epoch ms. */
  at: number;
  /** Kept by the idle sweep (see IdleSweptMap). */
  placedAt: number;
}

/**
 * User vectors: u(t) = sum_i w(action_i) * 2^(-(t - t_i) / halfLife) * stream_i, kept as one
 * running sum decayed lazily at each update (O(d) per event). Published normalised. Users idle for
 * `idleMs` of event time are dropped by `sweepIdle` (memory stays bounded by the active users).
 */
export class UserVectorService {
  private readonly users: IdleSweptMap<UserState>;
  private readonly last: RawUserVector = { sum: new Float32Array(0), squaredNorm: 0 };
  private readonly scratch: Float32Array;

  constructor(
    private readonly dimension: number,
    private readonly halfLifeMs: number,
    private readonly weights: ActionWeights = DEFAULT_ACTION_WEIGHTS,
    idleMs = Number.POSITIVE_INFINITY,
  ) {
    this.scratch = new Float32Array(dimension);
    this.users = new IdleSweptMap(idleMs);
  }

  get size(): number {
    return this.users.size;
  }

  has(userId: string): boolean {
    return this.users.has(userId);
  }

  weightOf(type: EngagementType): number {
    return this.weights[type];
  }

  /**
   * Adds an engagement with a stream (its unit vector) at `at` epoch ms (decay and add in one pass).
   * Returns the user's raw (unnormalised) sum and its squared norm, for the stream's audience.
   */
  engage(userId: string, type: EngagementType, streamVector: Float32Array, at: number): RawUserVector {
    let state = this.users.get(userId);
    if (!state) {
      state = { sum: new Float32Array(this.dimension), unit: null, at, placedAt: at };
      this.users.add(userId, state);
    }
    // out-of-order events (earlier than the last update) are added undecayed: no time travel
    const factor = decayFactor(at - state.at, this.halfLifeMs);
    if (at > state.at) {
      state.at = at;
      this.users.touched(userId, state);
    }
    this.last.sum = state.sum;
    this.last.squaredNorm = decayAddScaled(state.sum, factor, streamVector, this.weights[type]);
    return this.last;
  }

  /** The raw (decayed, unnormalised) sum: read-only view, no copy. */
  rawOf(userId: string): Float32Array | undefined {
    return this.users.get(userId)?.sum;
  }

  /** Unit vector, or undefined for unknown users (or ones with only zero contributions). */
  vectorOf(userId: string): Float32Array | undefined {
    const state = this.users.get(userId);
    if (!state) return undefined;
    const unit = normalized(state.sum);
    return isNonZero(unit) ? unit : undefined;
  }

  /**
   * The unit vector to publish for a user, written into an array kept per user (no allocation per
   * flush: a 512-byte typed array is an off-heap allocation), which then holds what readers have.
   * undefined when the user is unknown (or their vector is zero): publish a tombstone.
   * 'unchanged' when it moved less than `minChange` (cosine distance) since its last publication
   * and is not `force`d (a failed flush being retried): nothing to publish. The array stays valid
   * until the next call for that user.
   */
  publishableVectorOf(userId: string, minChange = 0, force = false): Float32Array | 'unchanged' | undefined {
    const state = this.users.get(userId);
    if (!state) return undefined;
    const next = this.scratch;
    next.set(state.sum);
    normalizeInPlace(next);
    if (!isNonZero(next)) return undefined;
    if (state.unit === null) return (state.unit = new Float32Array(next));
    return copyIfMoved(state.unit, next, minChange, force) ? state.unit : 'unchanged';
  }

  erase(userId: string): boolean {
    return this.users.delete(userId);
  }

  /**
   * Drops the users with no engagement since `now - idleMs` (event time), calling `onDrop` with
   * each id. What readers hold of them is left as it is: their last published vector.
   */
  sweepIdle(now: number, onDrop?: (userId: string) => void): number {
    return this.users.sweep(now, onDrop);
  }
}
