import { addScaled, decayAddScaled, decayFactor, dot, isNonZero, normalizeInPlace } from '@app/embeddings';

/** The payload published with a stream vector (what the recommender filters and shows). */
export interface LiveStreamPayload {
  live: boolean;
  sellerId: string;
  category: string;
  language: string;
  title: string;
  /** Epoch ms. */
  startedAt: number;
}

export interface StreamVectorWeights {
  /** Weight of the content embedding (title, category, tags, language). */
  content: number;
  /** Weight of the seller's behavioural (co-engagement) vector. */
  seller: number;
  /** Weight of the live context: the decayed mean of the current audience's user vectors. */
  audience: number;
}

export const DEFAULT_STREAM_VECTOR_WEIGHTS: StreamVectorWeights = {
  content: 0.6,
  seller: 0.35,
  audience: 0.05,
};

export interface LiveStreamState {
  streamId: string;
  payload: LiveStreamPayload;
  tags: readonly string[];
  /** Unit content vector. */
  content: Float32Array;
  /** Decayed sum of the engaging users' unit vectors (the live audience), not normalised. */
  audience: Float32Array;
  /** Event time of the last audience update, epoch ms. */
  audienceAt: number;
  /** Where baseVectorOf / publishedVectorOf write (allocated once per stream, rewritten in place). */
  base: Float32Array;
  vector: Float32Array;
  /** The vector as last handed out for publishing (what readers hold), see `markPublished`. */
  lastPublished: Float32Array;
}

/**
 * Live streams and their vectors: base = unit(wc * content + ws * unit(seller)); published =
 * unit(base + wa * unit(audience)). The audience term is the live context: who is engaging right
 * now, decayed with `audienceHalfLifeMs` of event time, so a stream drifts towards the taste of
 * its current viewers.
 */
export class StreamVectorService {
  private readonly streams = new Map<string, LiveStreamState>();
  private readonly liveBySeller = new Map<string, Set<string>>();

  constructor(
    private readonly dimension: number,
    private readonly weights: StreamVectorWeights = DEFAULT_STREAM_VECTOR_WEIGHTS,
    private readonly audienceHalfLifeMs = 10 * 60_000,
  ) {}

  get size(): number {
    return this.streams.size;
  }

  get(streamId: string): LiveStreamState | undefined {
    return this.streams.get(streamId);
  }

  all(): IterableIterator<LiveStreamState> {
    return this.streams.values();
  }

  /** Live stream ids of a seller (normally one). */
  liveStreamsOf(sellerId: string): ReadonlySet<string> {
    return this.liveBySeller.get(sellerId) ?? EMPTY;
  }

  start(
    streamId: string,
    payload: LiveStreamPayload,
    tags: readonly string[],
    content: Float32Array,
  ): LiveStreamState {
    this.end(streamId);
    const state: LiveStreamState = {
      streamId,
      payload,
      tags,
      content,
      audience: new Float32Array(this.dimension),
      audienceAt: payload.startedAt,
      base: new Float32Array(this.dimension),
      vector: new Float32Array(this.dimension),
      lastPublished: new Float32Array(this.dimension),
    };
    this.streams.set(streamId, state);
    let set = this.liveBySeller.get(payload.sellerId);
    if (!set) this.liveBySeller.set(payload.sellerId, (set = new Set()));
    set.add(streamId);
    return state;
  }

  /** Title/category/tags/language changed: new content vector and payload. */
  update(
    streamId: string,
    payload: Partial<LiveStreamPayload>,
    tags: readonly string[] | undefined,
    content: Float32Array,
  ): void {
    const state = this.streams.get(streamId);
    if (!state) return;
    state.payload = { ...state.payload, ...payload };
    if (tags) state.tags = tags;
    state.content = content;
  }

  /** Returns false for unknown streams. */
  end(streamId: string): boolean {
    const state = this.streams.get(streamId);
    if (!state) return false;
    this.streams.delete(streamId);
    const set = this.liveBySeller.get(state.payload.sellerId);
    set?.delete(streamId);
    if (set?.size === 0) this.liveBySeller.delete(state.payload.sellerId);
    return true;
  }

  /** A user engaged with weight `weight` at `at` (pass weight / |userVector| for an unnormalised one). */
  addAudience(streamId: string, userVector: Float32Array, weight: number, at: number): void {
    const state = this.streams.get(streamId);
    if (!state) return;
    const factor = decayFactor(at - state.audienceAt, this.audienceHalfLifeMs);
    state.audienceAt = Math.max(state.audienceAt, at);
    decayAddScaled(state.audience, factor, userVector, weight);
  }

  /**
   * What the stream is: unit(wc * content + ws * seller). Users' vectors are built from this
   * (their taste is what they watch, not who else watches it). Written into `state.base` (the
   * same array every time: callers cache it until the content or the seller changes).
   */
  baseVectorOf(state: LiveStreamState, sellerUnit: Float32Array): Float32Array {
    const out = state.base;
    out.fill(0);
    addScaled(out, state.content, this.weights.content);
    addScaled(out, sellerUnit, this.weights.seller);
    normalizeInPlace(out);
    // never a zero vector: fall back on the seller's (a seeded unit vector, never zero)
    if (!isNonZero(out)) out.set(sellerUnit);
    return out;
  }

  /**
   * The published vector: unit(base + wa * unit(audience)), the audience being the live context.
   * Written into `state.vector` (the same array every time).
   */
  publishedVectorOf(state: LiveStreamState, base: Float32Array): Float32Array {
    const out = state.vector;
    out.set(base);
    const audienceNorm = Math.sqrt(dot(state.audience, state.audience));
    if (audienceNorm > 0 && Number.isFinite(audienceNorm)) {
      addScaled(out, state.audience, this.weights.audience / audienceNorm);
    }
    normalizeInPlace(out);
    if (!isNonZero(out)) out.set(base);
    return out;
  }
}

const EMPTY: ReadonlySet<string> = new Set();
