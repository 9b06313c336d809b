import { dot, hash32, mulberry32, normalized, scaleInPlace, seededUnitVector } from '@app/embeddings';
import { IdleSweptMap } from '../idle-eviction/idle-swept.map';

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

/** A user's recent sellers, oldest first (parallel arrays, updated in place: no allocation per event). */
interface RecentSellers {
  sellerIds: string[];
  /** Engagement times, epoch ms. */
  ats: number[];
  /** The newest engagement time, epoch ms (what the idle sweep reads). */
  at: number;
  /** Kept by the idle sweep (see IdleSweptMap). */
  placedAt: number;
}

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
  /** Contexts idle for a whole co-engagement window pair with nothing: `sweepIdle` drops them. */
  private readonly recentByUser: IdleSweptMap<RecentSellers>;
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
    this.recentByUser = new IdleSweptMap(this.options.coEngagementWindowMs);
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
    let recent = this.recentByUser.get(userId);
    if (!recent) this.recentByUser.add(userId, (recent = { sellerIds: [], ats: [], at, placedAt: at }));
    const { sellerIds, ats } = recent;
    const windowMs = this.options.coEngagementWindowMs;
    const lr = this.options.learningRate * Math.min(weight, 5);
    for (let c = 0; c < sellerIds.length; c++) {
      const context = sellerIds[c];
      if (context === sellerId || at - ats[c] > windowMs) continue;
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
    let kept = 0;
    for (let c = 0; c < sellerIds.length; c++) {
      if (sellerIds[c] === sellerId || at - ats[c] > windowMs) continue;
      sellerIds[kept] = sellerIds[c];
      ats[kept++] = ats[c];
    }
    sellerIds.length = kept;
    ats.length = kept;
    sellerIds.push(sellerId);
    ats.push(at);
    if (at > recent.at) {
      recent.at = at;
      this.recentByUser.touched(userId, recent);
    }
    if (sellerIds.length > this.options.contextSize) {
      const extra = sellerIds.length - this.options.contextSize;
      sellerIds.splice(0, extra);
      ats.splice(0, extra);
    }
    if (this.pool.length < NEGATIVE_POOL) this.pool.push(sellerId);
    else this.pool[this.poolPos++ % NEGATIVE_POOL] = sellerId;
    return moved;
  }

  /** Forgets what a user contributed as context (erasure); the learned seller vectors stay (not personal). */
  forgetUser(userId: string): void {
    this.recentByUser.delete(userId);
  }

  /** Users whose recent sellers are in memory. */
  get contexts(): number {
    return this.recentByUser.size;
  }

  /**
   * Drops the contexts of users with no engagement since `now - coEngagementWindowMs` (event
   * time): their sellers would pair with nothing, so the model learns exactly what it would have.
   */
  sweepIdle(now: number): number {
    return this.recentByUser.sweep(now);
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
