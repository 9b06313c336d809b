import { dot, hash32, mulberry32, normalized, scaleInPlace, seededUnitVector } from '@app/embeddings';
import { IdleSlots } from '../user-slots/idle-slots';
import { PagedSlab } from '../user-slots/paged-slab';

export interface SellerEmbeddingOptions {
  dimension: number;
  /** SGD step size. */
  learningRate: number;
  /** Two engagements of one user count as co-engagement when at most this far apart, ms of event time. */
  coEngagementWindowMs: number;
  /** Recent sellers remembered per user (the context window of item2vec). */
  contextSize: number;
  /** Negative samples per positive pair. */
  negatives: number;
  /** Seed of the negative-sampling PRNG (same seed + same event order = same vectors). */
  seed: number;
}

export const DEFAULT_SELLER_EMBEDDING_OPTIONS: Omit<SellerEmbeddingOptions, 'dimension'> = {
  learningRate: 0.05,
  coEngagementWindowMs: 24 * 3600_000,
  contextSize: 8,
  negatives: 3,
  seed: 1,
};

/** Initial norm of a seller vector: small, so early updates move it quickly but not wildly. */
const INIT_NORM = 0.3;
/** Cap on a seller vector's norm: keeps sigmoid gradients alive and rules out overflow. */
const MAX_NORM = 4;
/** Size of the ring of recent engagements negatives are drawn from (~ unigram distribution). */
const NEGATIVE_POOL = 4096;

/** Below this |gradient| a step changes no float32 component visibly: skipped (and nothing is republished). */
const MIN_STEP = 1e-6;
/** Cap on |gradient| (a misconfigured learning rate cannot overflow a component). */
const MAX_GRADIENT = 10;

const sigmoid = (x: number) => 1 / (1 + Math.exp(-Math.max(-30, Math.min(30, x))));

/**
 * Seller behavioural embeddings learned online by item2vec (Barkan & Koenigstein 2016): skip-gram
 * with negative sampling where a "sentence" is one user's recent sellers. Each engagement pairs the
 * seller with the user's other sellers of the last `coEngagementWindowMs` (positives) and with
 * sellers drawn from recent global engagement (negatives), one SGD step each. One vector per seller
 * (symmetric item2vec), seeded from a hash of the seller id, so it is deterministic for an order.
 */
export class SellerEmbeddingService {
  private readonly vectors = new Map<string, Float32Array>();
  /**
   * Each user's recent sellers, oldest first: per slot `contextSize` seller numbers and their
   * engagement times, and how many are set (slabs: no objects per user for the GC to mark).
   * Contexts idle for a whole co-engagement window pair with nothing: `sweepIdle` drops them.
   */
  private readonly contextSlots: IdleSlots;
  private readonly contextSellers: PagedSlab<Int32Array>;
  private readonly contextAts: PagedSlab<Float64Array>;
  private readonly contextLengths = new PagedSlab((n) => new Int32Array(n), 1);
  /** Seller id -> its number in the contexts, and back. */
  private readonly sellerNumbers = new Map<string, number>();
  private readonly sellerIds: string[] = [];
  private readonly pool: string[] = [];
  private poolPos = 0;
  private readonly random: () => number;
  private readonly options: SellerEmbeddingOptions;
  /** Unit vectors, dropped when a step moves the seller. */
  private readonly unitCache = new Map<string, Float32Array>();
  /** What `observe` returns (reused: valid until the next call). */
  private readonly moved: string[] = [];

  constructor(options: Partial<SellerEmbeddingOptions> & { dimension: number }) {
    this.options = { ...DEFAULT_SELLER_EMBEDDING_OPTIONS, ...options };
    const k = this.options.contextSize;
    this.contextSlots = new IdleSlots(this.options.coEngagementWindowMs);
    this.contextSellers = new PagedSlab((n) => new Int32Array(n), k);
    this.contextAts = new PagedSlab((n) => new Float64Array(n), k);
    this.random = mulberry32(hash32('seller-negatives', this.options.seed));
  }

  get size(): number {
    return this.vectors.size;
  }

  /** Raw (not normalised) vector, created on first use. */
  vectorOf(sellerId: string): Float32Array {
    let vector = this.vectors.get(sellerId);
    if (!vector) {
      vector = seededUnitVector(sellerId, this.options.dimension, 0x5e11e5);
      for (let i = 0; i < vector.length; i++) vector[i] *= INIT_NORM;
      this.vectors.set(sellerId, vector);
    }
    return vector;
  }

  /** Unit vector (cached; do not mutate). */
  unitVectorOf(sellerId: string): Float32Array {
    let unit = this.unitCache.get(sellerId);
    if (!unit) this.unitCache.set(sellerId, (unit = normalized(this.vectorOf(sellerId))));
    return unit;
  }

  /** Cosine similarity of two sellers' current vectors. */
  similarity(a: string, b: string): number {
    const va = this.vectorOf(a);
    const vb = this.vectorOf(b);
    const d = Math.sqrt(dot(va, va) * dot(vb, vb));
    return d > 0 ? dot(va, vb) / d : 0;
  }

  /**
   * A user engaged with a seller at `at` (epoch ms) with strength `weight` (1 = a view).
   * Returns the sellers whose vectors moved (their live streams need republishing): a reused
   * array, valid until the next call.
   */
  observe(userId: string, sellerId: string, at: number, weight = 1): readonly string[] {
    const moved = this.moved;
    moved.length = 0;
    let slot = this.contextSlots.slotOf(userId);
    if (slot === undefined) {
      slot = this.contextSlots.add(userId, at);
      this.contextLengths.set(slot, 0);
    }
    const seller = this.sellerNumberOf(sellerId);
    const sellers = this.contextSellers.page(slot);
    const ats = this.contextAts.page(slot);
    const base = this.contextSellers.offset(slot);
    const lengths = this.contextLengths.page(slot);
    const length = lengths[this.contextLengths.offset(slot)];
    const windowMs = this.options.coEngagementWindowMs;
    const lr = this.options.learningRate * Math.min(weight, 5);
    for (let c = base; c < base + length; c++) {
      if (sellers[c] === seller || at - ats[c] > windowMs) continue;
      const context = this.sellerIds[sellers[c]];
      if (this.step(sellerId, context, 1, lr)) {
        addOnce(moved, context);
        addOnce(moved, sellerId);
      }
      for (let n = 0; n < this.options.negatives && this.pool.length > 0; n++) {
        const negative = this.pool[Math.floor(this.random() * this.pool.length)];
        if (negative === sellerId || negative === context) continue;
        if (this.step(sellerId, negative, 0, lr)) {
          addOnce(moved, negative);
          addOnce(moved, sellerId);
        }
      }
    }
    // keep the user's context, in place: most recent last, one entry per seller, within the window
    let kept = base;
    for (let c = base; c < base + length; c++) {
      if (sellers[c] === seller || at - ats[c] > windowMs) continue;
      sellers[kept] = sellers[c];
      ats[kept++] = ats[c];
    }
    if (kept - base >= this.options.contextSize) {
      // full: the oldest makes room
      sellers.copyWithin(base, base + 1, kept);
      ats.copyWithin(base, base + 1, kept);
      kept--;
    }
    sellers[kept] = seller;
    ats[kept] = at;
    lengths[this.contextLengths.offset(slot)] = kept - base + 1;
    this.contextSlots.touch(userId, slot, at);
    if (this.pool.length < NEGATIVE_POOL) this.pool.push(sellerId);
    else this.pool[this.poolPos++ % NEGATIVE_POOL] = sellerId;
    return moved;
  }

  /** Forgets what a user contributed as context (erasure); the learned seller vectors stay (not personal). */
  forgetUser(userId: string): void {
    this.contextSlots.delete(userId);
  }

  /** Users whose recent sellers are in memory. */
  get contexts(): number {
    return this.contextSlots.size;
  }

  /**
   * Drops the contexts of users with no engagement since `now - coEngagementWindowMs` (event
   * time): their sellers would pair with nothing, so the model learns exactly what it would have.
   */
  sweepIdle(now: number): number {
    return this.contextSlots.sweep(now);
  }

  private sellerNumberOf(sellerId: string): number {
    let number = this.sellerNumbers.get(sellerId);
    if (number === undefined) {
      number = this.sellerIds.push(sellerId) - 1;
      this.sellerNumbers.set(sellerId, number);
    }
    return number;
  }

  /**
   * One SGD step on log sigmoid(+-a.b): label 1 pulls a and b together, 0 pushes them apart. Two
   * passes over the vectors (dot, then both updates with their new norms). Returns false when the
   * gradient is too small to change anything (no step taken).
   */
  private step(a: string, b: string, label: 0 | 1, lr: number): boolean {
    const va = this.vectorOf(a);
    const vb = this.vectorOf(b);
    // |g| capped: with norms <= MAX_NORM every updated component stays far inside float32
    const g = Math.max(-MAX_GRADIENT, Math.min(MAX_GRADIENT, lr * (label - sigmoid(dot(va, vb)))));
    if (!(Math.abs(g) >= MIN_STEP)) return false;
    let na = 0;
    let nb = 0;
    for (let i = 0; i < va.length; i++) {
      const x = va[i];
      const y = vb[i];
      const nx = x + g * y;
      const ny = y + g * x;
      va[i] = nx;
      vb[i] = ny;
      na += nx * nx;
      nb += ny * ny;
    }
    // norms stay <= MAX_NORM, so every component stays finite whatever the learning rate
    if (na > MAX_NORM * MAX_NORM) scaleInPlace(va, MAX_NORM / Math.sqrt(na));
    if (nb > MAX_NORM * MAX_NORM) scaleInPlace(vb, MAX_NORM / Math.sqrt(nb));
    this.unitCache.delete(a);
    this.unitCache.delete(b);
    return true;
  }
}

function addOnce(list: string[], id: string): void {
  if (!list.includes(id)) list.push(id);
}
