import { EnrichedEvent, NowcastEvent } from '@app/contracts';
import { dot } from '@app/embeddings';
import { SellerEmbeddingOptions, SellerEmbeddingService } from '../seller-embedding/seller-embedding.service';
import {
  DEFAULT_STREAM_VECTOR_WEIGHTS,
  LiveStreamPayload,
  StreamVectorService,
  StreamVectorWeights,
} from '../stream-vectors/stream-vector.service';
import {
  ActionWeights,
  DEFAULT_ACTION_WEIGHTS,
  UserVectorService,
  isEngagementType,
} from '../user-vectors/user-vector.service';

export interface EmbeddingModelOptions {
  dimension: number;
  /** Half-life of a user's engagements in their vector, ms of event time. */
  userHalfLifeMs: number;
  /** Half-life of a stream's live-audience context, ms of event time. */
  audienceHalfLifeMs: number;
  seller: Partial<Omit<SellerEmbeddingOptions, 'dimension'>>;
  streamWeights: StreamVectorWeights;
  actionWeights: ActionWeights;
}

export const DEFAULT_EMBEDDING_MODEL_OPTIONS: EmbeddingModelOptions = {
  dimension: 128,
  userHalfLifeMs: 3 * 24 * 3600_000,
  audienceHalfLifeMs: 10 * 60_000,
  seller: {},
  streamWeights: DEFAULT_STREAM_VECTOR_WEIGHTS,
  actionWeights: DEFAULT_ACTION_WEIGHTS,
};

export interface StreamVectorChange {
  streamId: string;
  /** null = the stream is gone (tombstone). */
  vector: Float32Array | null;
  payload: LiveStreamPayload | null;
}

export interface UserVectorChange {
  userId: string;
  /** null = erased. */
  vector: Float32Array | null;
}

export interface EmbeddingChanges {
  streams: StreamVectorChange[];
  users: UserVectorChange[];
}

/** Engagements that teach the co-engagement model (the frequent in-view actions add nothing new). */
const CO_ENGAGEMENT_TYPES = new Set(['view.started', 'purchase.completed', 'rec.clicked']);

/**
 * The whole embedding state, updated event by event in the order given (deterministic for an
 * order): content vectors come in precomputed (the provider may be remote and is called once per
 * batch). Changed points are remembered until `drain`: lifecycle changes (start, end, removal,
 * expiry, erasure) are urgent and bypass coalescing; the rest wait for the coalescing flush.
 */
export class EmbeddingModelService {
  readonly sellers: SellerEmbeddingService;
  readonly streams: StreamVectorService;
  readonly users: UserVectorService;
  private readonly dirtyStreams = new Set<string>();
  private readonly urgentStreams = new Set<string>();
  private readonly dirtyUsers = new Set<string>();
  private readonly urgentUsers = new Set<string>();
  /** Published unit vectors of live streams, dropped whenever anything they depend on changes. */
  private readonly streamCache = new Map<string, Float32Array>();
  /** Base vectors (content + seller), dropped when the content or the seller's vector changes. */
  private readonly baseCache = new Map<string, Float32Array>();

  constructor(readonly options: EmbeddingModelOptions = DEFAULT_EMBEDDING_MODEL_OPTIONS) {
    const d = options.dimension;
    this.sellers = new SellerEmbeddingService({ ...options.seller, dimension: d });
    this.streams = new StreamVectorService(d, options.streamWeights, options.audienceHalfLifeMs);
    this.users = new UserVectorService(d, options.userHalfLifeMs, options.actionWeights);
  }

  /** Points changed and not yet drained. */
  get pending(): number {
    return this.dirtyStreams.size + this.dirtyUsers.size;
  }

  get hasUrgent(): boolean {
    return this.urgentStreams.size + this.urgentUsers.size > 0;
  }

  /** Events whose content vector `apply` needs (stream.started, stream.updated with content). */
  static needsContent(event: NowcastEvent): boolean {
    return event.type === 'stream.started' || event.type === 'stream.updated';
  }

  /**
   * Applies one event. `content` is its content vector for stream.started / stream.updated
   * (computed from the merged title/category/tags/language by the caller; see contentOf).
   */
  apply(event: NowcastEvent | EnrichedEvent, content?: Float32Array): void {
    switch (event.type) {
      case 'stream.started': {
        const d = event.data;
        if (!content) throw new Error('stream.started needs its content vector');
        const payload: LiveStreamPayload = {
          live: true,
          sellerId: d.sellerId,
          category: d.category,
          language: d.language,
          title: d.title,
          startedAt: event.occurredAt,
        };
        this.streams.start(d.streamId, payload, d.tags, content);
        this.markStream(d.streamId, true, true);
        return;
      }
      case 'stream.updated': {
        const d = event.data;
        if (!this.streams.get(d.streamId) || !content) return;
        const patch: Partial<LiveStreamPayload> = {};
        if (d.title !== undefined) patch.title = d.title;
        if (d.category !== undefined) patch.category = d.category;
        if (d.language !== undefined) patch.language = d.language;
        this.streams.update(d.streamId, patch, d.tags, content);
        this.markStream(d.streamId, false, true);
        return;
      }
      case 'stream.ended':
      case 'stream.removed':
      case 'stream.expired':
        this.streams.end(event.data.streamId);
        this.markStream(event.data.streamId, true, true);
        return;
      case 'user.erased':
        this.users.erase(event.data.userId);
        this.sellers.forgetUser(event.data.userId);
        this.dirtyUsers.add(event.data.userId);
        this.urgentUsers.add(event.data.userId);
        return;
      case 'view.started':
      case 'chat.message':
      case 'bid.placed':
      case 'purchase.completed':
      case 'giveaway.entered':
      case 'rec.clicked':
        this.engage(event.type, event.data.userId, event.data.streamId, event.occurredAt);
        return;
      case 'stream.heartbeat':
      case 'view.ended':
      case 'auction.started':
      case 'seller.followed':
      case 'seller.unfollowed':
      case 'rec.impression':
        return;
    }
  }

  /** The current unit vector of a live stream, or undefined when it is not live. */
  streamVector(streamId: string): Float32Array | undefined {
    const cached = this.streamCache.get(streamId);
    if (cached) return cached;
    const state = this.streams.get(streamId);
    const base = this.baseVector(streamId);
    if (!state || !base) return undefined;
    const vector = this.streams.publishedVectorOf(state, base);
    this.streamCache.set(streamId, vector);
    return vector;
  }

  /** Content + seller part of a live stream's vector (what user vectors are made of). */
  baseVector(streamId: string): Float32Array | undefined {
    const cached = this.baseCache.get(streamId);
    if (cached) return cached;
    const state = this.streams.get(streamId);
    if (!state) return undefined;
    const vector = this.streams.baseVectorOf(state, this.sellers.unitVectorOf(state.payload.sellerId));
    this.baseCache.set(streamId, vector);
    return vector;
  }

  /**
   * The changed points with their current vectors, forgetting them. `all` = false drains only the
   * urgent ones (lifecycle and erasure), leaving the rest for the next coalescing flush.
   */
  drain(all: boolean): EmbeddingChanges {
    const streamIds = all ? this.dirtyStreams : this.urgentStreams;
    const userIds = all ? this.dirtyUsers : this.urgentUsers;
    const streams: StreamVectorChange[] = [];
    for (const streamId of streamIds) {
      const state = this.streams.get(streamId);
      streams.push({
        streamId,
        vector: state ? (this.streamVector(streamId) ?? null) : null,
        payload: state ? state.payload : null,
      });
      this.dirtyStreams.delete(streamId);
    }
    const users: UserVectorChange[] = [];
    for (const userId of userIds) {
      users.push({ userId, vector: this.users.vectorOf(userId) ?? null });
      this.dirtyUsers.delete(userId);
    }
    this.urgentStreams.clear();
    this.urgentUsers.clear();
    return { streams, users };
  }

  /** Marks the points of a flush that failed as changed again (their current state is republished). */
  requeue(changes: EmbeddingChanges): void {
    for (const c of changes.streams) this.markStream(c.streamId, c.vector === null);
    for (const c of changes.users) {
      this.dirtyUsers.add(c.userId);
      if (c.vector === null) this.urgentUsers.add(c.userId);
    }
  }

  private engage(
    type:
      | 'view.started'
      | 'chat.message'
      | 'bid.placed'
      | 'purchase.completed'
      | 'giveaway.entered'
      | 'rec.clicked',
    userId: string,
    streamId: string,
    at: number,
  ): void {
    const state = this.streams.get(streamId);
    if (!state || !isEngagementType(type)) return;
    const sellerId = state.payload.sellerId;
    const weight = this.users.weightOf(type);
    if (CO_ENGAGEMENT_TYPES.has(type)) {
      for (const moved of this.sellers.observe(userId, sellerId, at, weight)) {
        for (const live of this.streams.liveStreamsOf(moved)) {
          this.baseCache.delete(live);
          this.markStream(live, false);
        }
      }
    }
    const base = this.baseVector(streamId);
    if (base) this.users.engage(userId, type, base, at);
    const raw = this.users.rawOf(userId);
    const rawNorm = raw ? Math.sqrt(dot(raw, raw)) : 0;
    if (raw && rawNorm > 0 && Number.isFinite(rawNorm))
      this.streams.addAudience(streamId, raw, weight / rawNorm, at);
    this.markStream(streamId, false);
    this.dirtyUsers.add(userId);
  }

  private markStream(streamId: string, urgent: boolean, contentChanged = false): void {
    if (contentChanged) this.baseCache.delete(streamId);
    this.streamCache.delete(streamId);
    this.dirtyStreams.add(streamId);
    if (urgent) this.urgentStreams.add(streamId);
  }
}
