import {
  copyIfMoved,
  decayAddScaled,
  decayFactor,
  isNonZero,
  normalizeInPlace,
  normalized,
} from '@app/embeddings';
import { IdleSlots } from '../user-slots/idle-slots';
import { PagedSlab } from '../user-slots/paged-slab';

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

/**
 * User vectors: u(t) = sum_i w(action_i) * 2^(-(t - t_i) / halfLife) * stream_i, kept as one
 * running sum decayed lazily at each update (O(d) per event). Published normalised. Users idle for
 * `idleMs` of event time are dropped by `sweepIdle` (memory stays bounded by the active users).
 *
 * The sums and the last published unit vectors live in paged slabs indexed by the user's slot
 * (IdleSlots keeps the last update's event time there too): a few large arrays for the GC to mark
 * instead of an object, two typed arrays with their buffers and two boxed numbers per user.
 */
export class UserVectorService {
  private readonly slots: IdleSlots;
  /** Decayed weighted sum of engaged streams' unit vectors (not normalised), per slot. */
  private readonly sums: PagedSlab<Float32Array>;
  /**
   * The last published unit vector per slot, rewritten in place by `publishableVectorOf`; valid
   * while `published` says so (a reused slot holds its last user's vector until its first
   * publication).
   */
  private readonly units: PagedSlab<Float32Array>;
  /** Per slot: 1 once the slot's user has a published unit vector. */
  private readonly published = new PagedSlab((n) => new Uint8Array(n), 1);
  /** Per slot: the event time of the engagement behind the last publication, epoch ms. */
  private readonly publishedAt = new PagedSlab((n) => new Float64Array(n), 1);
  private readonly last: RawUserVector = { sum: new Float32Array(0), squaredNorm: 0 };
  private readonly scratch: Float32Array;

  constructor(
    private readonly dimension: number,
    private readonly halfLifeMs: number,
    private readonly weights: ActionWeights = DEFAULT_ACTION_WEIGHTS,
    idleMs = Number.POSITIVE_INFINITY,
    /**
     * An unchanged vector is published again once the user engages this long (event time) after
     * its last publication: a reader that expires what it holds (Redis' TTL) keeps an active
     * user's vector even when it no longer moves. Infinity = never.
     */
    private readonly republishAfterMs = Number.POSITIVE_INFINITY,
  ) {
    this.scratch = new Float32Array(dimension);
    this.slots = new IdleSlots(idleMs);
    this.sums = new PagedSlab((n) => new Float32Array(n), dimension);
    this.units = new PagedSlab((n) => new Float32Array(n), dimension);
  }

  get size(): number {
    return this.slots.size;
  }

  has(userId: string): boolean {
    return this.slots.slotOf(userId) !== undefined;
  }

  weightOf(type: EngagementType): number {
    return this.weights[type];
  }

  /**
   * Adds an engagement with a stream (its unit vector) at `at` epoch ms (decay and add in one pass).
   * Returns the user's raw (unnormalised) sum and its squared norm, for the stream's audience.
   */
  engage(userId: string, type: EngagementType, streamVector: Float32Array, at: number): RawUserVector {
    let slot = this.slots.slotOf(userId);
    if (slot === undefined) {
      slot = this.slots.add(userId, at);
      // a reused slot holds its last user's state
      this.sums.view(slot).fill(0);
      this.setPublished(slot, false);
    }
    const sum = this.sums.view(slot);
    // out-of-order events (earlier than the last update) are added undecayed: no time travel
    const factor = decayFactor(at - this.slots.lastActiveAt(slot), this.halfLifeMs);
    this.slots.touch(userId, slot, at);
    this.last.sum = sum;
    this.last.squaredNorm = decayAddScaled(sum, factor, streamVector, this.weights[type]);
    return this.last;
  }

  /** The raw (decayed, unnormalised) sum: read-only view, no copy. */
  rawOf(userId: string): Float32Array | undefined {
    const slot = this.slots.slotOf(userId);
    return slot === undefined ? undefined : this.sums.view(slot);
  }

  /** Unit vector, or undefined for unknown users (or ones with only zero contributions). */
  vectorOf(userId: string): Float32Array | undefined {
    const sum = this.rawOf(userId);
    if (!sum) return undefined;
    const unit = normalized(sum);
    return isNonZero(unit) ? unit : undefined;
  }

  /**
   * The unit vector to publish for a user, written into the slot's published vector (no allocation
   * per flush) and returned as a view of it: what readers hold. undefined when the user is unknown
   * (or their vector is zero): publish a tombstone. 'unchanged' when it moved less than `minChange`
   * (cosine distance) since its last publication and is not `force`d (a failed flush being
   * retried) or due again (`republishAfterMs`): nothing to publish. The view stays valid until the
   * next call for that user and, once the user is dropped or erased, until the slot's next user
   * publishes: a reader keeping it longer than a flush copies it (the user-topic buffer does).
   */
  publishableVectorOf(userId: string, minChange = 0, force = false): Float32Array | 'unchanged' | undefined {
    const slot = this.slots.slotOf(userId);
    if (slot === undefined) return undefined;
    const next = this.scratch;
    next.set(this.sums.view(slot));
    normalizeInPlace(next);
    if (!isNonZero(next)) return undefined;
    const unit = this.units.view(slot);
    const activeAt = this.slots.lastActiveAt(slot);
    if (!this.isPublished(slot)) {
      unit.set(next);
      this.setPublished(slot, true);
      this.publishedAt.set(slot, activeAt);
      return unit;
    }
    const due = activeAt - this.publishedAt.get(slot) >= this.republishAfterMs;
    if (!copyIfMoved(unit, next, minChange, force || due)) return 'unchanged';
    this.publishedAt.set(slot, activeAt);
    return unit;
  }

  erase(userId: string): boolean {
    const slot = this.slots.slotOf(userId);
    if (slot === undefined) return false;
    this.setPublished(slot, false);
    return this.slots.delete(userId);
  }

  /**
   * Drops the users with no engagement since `now - idleMs` (event time), calling `onDrop` with
   * each id. What readers hold of them is left as it is: their last published vector.
   */
  sweepIdle(now: number, onDrop?: (userId: string) => void): number {
    return this.slots.sweep(now, (userId, slot) => {
      this.setPublished(slot, false);
      onDrop?.(userId);
    });
  }

  private isPublished(slot: number): boolean {
    return this.published.get(slot) === 1;
  }

  private setPublished(slot: number, published: boolean): void {
    this.published.set(slot, published ? 1 : 0);
  }
}
