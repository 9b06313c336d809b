import { addScaled, dot, hash32, mulberry32, normalized, seededUnitVector } from '@app/embeddings';

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

interface RecentSeller {
  sellerId: string;
  at: number;
}

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
  private readonly recentByUser = new Map<string, RecentSeller[]>();
  private readonly pool: string[] = [];
  private poolPos = 0;
  private readonly random: () => number;
  private readonly options: SellerEmbeddingOptions;
  /** Unit vectors, dropped when a step moves the seller. */
  private readonly unitCache = new Map<string, Float32Array>();
  private scratch: Float32Array;

  constructor(options: Partial<SellerEmbeddingOptions> & { dimension: number }) {
    this.options = { ...DEFAULT_SELLER_EMBEDDING_OPTIONS, ...options };
    this.random = mulberry32(hash32('seller-negatives', this.options.seed));
    this.scratch = new Float32Array(this.options.dimension);
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
   * Returns the sellers whose vectors moved (their live streams need republishing).
   */
  observe(userId: string, sellerId: string, at: number, weight = 1): string[] {
    const recent = this.recentByUser.get(userId) ?? [];
    const moved = new Set<string>();
    const lr = this.options.learningRate * Math.min(weight, 5);
    for (const context of recent) {
      if (context.sellerId === sellerId || at - context.at > this.options.coEngagementWindowMs) continue;
      this.step(sellerId, context.sellerId, 1, lr);
      moved.add(context.sellerId);
      for (let n = 0; n < this.options.negatives && this.pool.length > 0; n++) {
        const negative = this.pool[Math.floor(this.random() * this.pool.length)];
        if (negative === sellerId || negative === context.sellerId) continue;
        this.step(sellerId, negative, 0, lr);
        moved.add(negative);
      }
      moved.add(sellerId);
    }
    // keep the user's context: most recent last, one entry per seller
    const next = recent.filter(
      (r) => r.sellerId !== sellerId && at - r.at <= this.options.coEngagementWindowMs,
    );
    next.push({ sellerId, at });
    if (next.length > this.options.contextSize) next.splice(0, next.length - this.options.contextSize);
    this.recentByUser.set(userId, next);
    if (this.pool.length < NEGATIVE_POOL) this.pool.push(sellerId);
    else this.pool[this.poolPos++ % NEGATIVE_POOL] = sellerId;
    return [...moved];
  }

  /** Forgets what a user contributed as context (erasure); the learned seller vectors stay (not personal). */
  forgetUser(userId: string): void {
    this.recentByUser.delete(userId);
  }

  /** One SGD step on log sigmoid(+-a.b): label 1 pulls a and b together, 0 pushes them apart. */
  private step(a: string, b: string, label: 0 | 1, lr: number): void {
    const va = this.vectorOf(a);
    const vb = this.vectorOf(b);
    const g = lr * (label - sigmoid(dot(va, vb)));
    this.scratch.set(va);
    addScaled(va, vb, g);
    addScaled(vb, this.scratch, g);
    clipNorm(va);
    clipNorm(vb);
    this.unitCache.delete(a);
    this.unitCache.delete(b);
  }
}

function clipNorm(v: Float32Array): void {
  const n = Math.sqrt(dot(v, v));
  if (n > MAX_NORM) for (let i = 0; i < v.length; i++) v[i] *= MAX_NORM / n;
}
