import { addScaled, decayFactor, isNonZero, normalized, scaleInPlace } from '@app/embeddings';

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

interface UserState {
  /** Decayed weighted sum of engaged streams' unit vectors (not normalised). */
  sum: Float32Array;
  /** Event time of the last update, epoch ms. */
  at: number;
}

/**
 * User vectors: u(t) = sum_i w(action_i) * 2^(-(t - t_i) / halfLife) * stream_i, kept as one
 * running sum decayed lazily at each update (O(d) per event). Published normalised.
 */
export class UserVectorService {
  private readonly users = new Map<string, UserState>();

  constructor(
    private readonly dimension: number,
    private readonly halfLifeMs: number,
    private readonly weights: ActionWeights = DEFAULT_ACTION_WEIGHTS,
  ) {}

  get size(): number {
    return this.users.size;
  }

  has(userId: string): boolean {
    return this.users.has(userId);
  }

  weightOf(type: EngagementType): number {
    return this.weights[type];
  }

  /** Adds an engagement with a stream (its unit vector) at `at` epoch ms. */
  engage(userId: string, type: EngagementType, streamVector: Float32Array, at: number): void {
    let state = this.users.get(userId);
    if (!state) {
      state = { sum: new Float32Array(this.dimension), at };
      this.users.set(userId, state);
    }
    // out-of-order events (earlier than the last update) are added undecayed: no time travel
    scaleInPlace(state.sum, decayFactor(at - state.at, this.halfLifeMs));
    state.at = Math.max(state.at, at);
    addScaled(state.sum, streamVector, this.weights[type]);
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

  erase(userId: string): boolean {
    return this.users.delete(userId);
  }
}
