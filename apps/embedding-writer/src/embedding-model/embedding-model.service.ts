import { EVENT_TOPIC_RETENTION_MS } from '@app/config';
import { EnrichedEvent, NowcastEvent } from '@app/contracts';
import { copyIfMoved } from '@app/embeddings';
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
  EngagementType,
  UserVectorService,
} from '../user-vectors/user-vector.service';

export interface EmbeddingModelOptions {
  dimension: number;
  /** Half-life of a user's engagements in their vector, ms of event time. */
  userHalfLifeMs: number;
  /**
   * A user with no engagement for this long (ms of event time) is dropped from memory; their
   * published vector stays, and a later engagement starts a new one. Infinity = never.
   */
  userIdleMs: number;
  /**
   * A user's unchanged vector is published again when they engage this long (event time) after
   * its last publication, so the TTL of the Redis copy never ends an active user's. Infinity = never.
   */
  userRepublishAfterMs: number;
  /** Half-life of a stream's live-audience context, ms of event time. */
  audienceHalfLifeMs: number;
  seller: Partial<Omit<SellerEmbeddingOptions, 'dimension'>>;
  streamWeights: StreamVectorWeights;
  actionWeights: ActionWeights;
  /**
   * Cosine distance (1 - cos) under which a coalesced update of a point is not republished: what
   * readers hold stays within this of the model (1e-5 = 0.26 degrees; most repeat updates of a
   * user chatting in one stream move less). 0 = republish every change. Lifecycle changes, payload
   * changes, first publications and retried flushes are always published.
   */
  publishMinChange: number;
}

export const DEFAULT_EMBEDDING_MODEL_OPTIONS: EmbeddingModelOptions = {
  dimension: 128,
  userHalfLifeMs: 3 * 24 * 3600_000,
  // the enriched topic's retention: a restart rebuilds from 7 days of events, so a writer that has
  // run for longer holds no user a restarted one would not
  userIdleMs: EVENT_TOPIC_RETENTION_MS,
  userRepublishAfterMs: Number.POSITIVE_INFINITY,
  audienceHalfLifeMs: 10 * 60_000,
  seller: {},
  streamWeights: DEFAULT_STREAM_VECTOR_WEIGHTS,
  actionWeights: DEFAULT_ACTION_WEIGHTS,
  publishMinChange: 1e-5,
};

export interface StreamVectorChange {
  streamId: string;
  /** null = the stream is gone (tombstone). */
  vector: Float32Array | null;
  payload: LiveStreamPayload | null;
  /**
   * W3C traceparent of the lifecycle event that caused this (uncoalesced) change, when that event
   * was sampled: the publisher puts it on the record's headers.
   */
  traceparent?: string;
}

export interface UserVectorChange {
  userId: string;
  /** null = erased. */
  vector: Float32Array | null;
}

/**
 * What `drain` returns. The vectors are the model's own per-point arrays (no copy per flush): they
 * stay valid until the next `drain`, so publish (or copy) them before draining again.
 */
export interface EmbeddingChanges {
  streams: StreamVectorChange[];
  users: UserVectorChange[];
}

/** Idle users and co-engagement contexts are swept at most this often, ms of event time. */
const IDLE_SWEEP_EVERY_MS = 60_000;

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
  /** traceparent to forward with an urgent stream change (sampled lifecycle events only). */
  private readonly urgentTraces = new Map<string, string>();
  /** Points published whatever their change (payload changed, a failed flush being retried). */
  private readonly forcedStreams = new Set<string>();
  private readonly forcedUsers = new Set<string>();
  /** Points whose latest vector was not republished (within publishMinChange): see `settle`. */
  private readonly staleStreams = new Set<string>();
  private readonly staleUsers = new Set<string>();
  /** Coalesced updates not republished because the vector moved less than publishMinChange. */
  unchangedSkipped = 0;
  /** Users dropped from memory after `userIdleMs` without an engagement. */
  idleUsersDropped = 0;
  /** Event time at which the next idle sweep is due, epoch ms. */
  private nextSweepAt = Number.NEGATIVE_INFINITY;
  /** Drained changes that were urgent (a failed flush requeues them as urgent again). */
  private readonly urgentChanges = new WeakSet<StreamVectorChange>();
  /** Published unit vectors of live streams, dropped whenever anything they depend on changes. */
  private readonly streamCache = new Map<string, Float32Array>();
  /** Base vectors (content + seller), dropped when the content or the seller's vector changes. */
  private readonly baseCache = new Map<string, Float32Array>();

  constructor(readonly options: EmbeddingModelOptions = DEFAULT_EMBEDDING_MODEL_OPTIONS) {
    const d = options.dimension;
    this.sellers = new SellerEmbeddingService({ ...options.seller, dimension: d });
    this.streams = new StreamVectorService(d, options.streamWeights, options.audienceHalfLifeMs);
    this.users = new UserVectorService(
      d,
      options.userHalfLifeMs,
      options.actionWeights,
      options.userIdleMs,
      options.userRepublishAfterMs,
    );
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
   * `traceparent` (a sampled event's child context) travels with the lifecycle change it causes.
   */
  apply(event: NowcastEvent | EnrichedEvent, content?: Float32Array, traceparent?: string): void {
    if (event.occurredAt >= this.nextSweepAt) this.sweepIdle(event.occurredAt);
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
        this.traceUrgent(d.streamId, traceparent);
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
        this.forcedStreams.add(d.streamId);
        return;
      }
      case 'stream.ended':
      case 'stream.removed':
      case 'stream.expired':
        this.streams.end(event.data.streamId);
        this.markStream(event.data.streamId, true, true);
        this.traceUrgent(event.data.streamId, traceparent);
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
    const minChange = this.options.publishMinChange;
    const streams: StreamVectorChange[] = [];
    for (const streamId of streamIds) {
      this.dirtyStreams.delete(streamId);
      const state = this.streams.get(streamId);
      const urgent = this.urgentStreams.has(streamId);
      const force = urgent || this.forcedStreams.has(streamId);
      const current = state ? this.streamVector(streamId) : undefined;
      if (state && current && !copyIfMoved(state.lastPublished, current, minChange, force)) {
        this.unchangedSkipped++;
        this.staleStreams.add(streamId);
        continue;
      }
      this.staleStreams.delete(streamId);
      const change: StreamVectorChange = {
        streamId,
        vector: state && current ? state.lastPublished : null,
        payload: state ? state.payload : null,
      };
      const traceparent = this.urgentTraces.get(streamId);
      if (traceparent !== undefined) change.traceparent = traceparent;
      if (urgent) this.urgentChanges.add(change);
      streams.push(change);
    }
    const users: UserVectorChange[] = [];
    for (const userId of userIds) {
      this.dirtyUsers.delete(userId);
      const vector = this.users.publishableVectorOf(userId, minChange, this.forcedUsers.has(userId));
      if (vector === 'unchanged') {
        this.unchangedSkipped++;
        this.staleUsers.add(userId);
      } else {
        this.staleUsers.delete(userId);
        users.push({ userId, vector: vector ?? null });
      }
    }
    this.urgentTraces.clear();
    this.urgentStreams.clear();
    this.urgentUsers.clear();
    if (all) {
      this.forcedStreams.clear();
      this.forcedUsers.clear();
    }
    return { streams, users };
  }

  /** Points whose published vector is (slightly) behind the model: what `settle` would publish. */
  get stale(): number {
    return this.staleStreams.size + this.staleUsers.size;
  }

  /**
   * Marks every stale point changed and forced, so the next full drain publishes its exact vector.
   * The writer calls it when idle: readers are within publishMinChange of the model while events
   * flow, and exact once the writer is quiet for a coalescing interval.
   */
  settle(): void {
    for (const streamId of this.staleStreams) {
      this.dirtyStreams.add(streamId);
      this.forcedStreams.add(streamId);
    }
    for (const userId of this.staleUsers) {
      this.dirtyUsers.add(userId);
      this.forcedUsers.add(userId);
    }
    this.staleStreams.clear();
    this.staleUsers.clear();
  }

  /** Marks the points of a flush that failed as changed again (their current state is republished). */
  requeue(changes: EmbeddingChanges): void {
    for (const c of changes.streams) {
      this.markStream(c.streamId, this.urgentChanges.has(c));
      this.traceUrgent(c.streamId, c.traceparent);
      // its lastPublished already says published: force it, or the retry would skip it
      this.forcedStreams.add(c.streamId);
    }
    for (const c of changes.users) {
      this.dirtyUsers.add(c.userId);
      this.forcedUsers.add(c.userId);
      if (c.vector === null) this.urgentUsers.add(c.userId);
    }
  }

  private engage(type: EngagementType, userId: string, streamId: string, at: number): void {
    const state = this.streams.get(streamId);
    if (!state) return;
    const weight = this.users.weightOf(type);
    if (type === 'view.started' || type === 'purchase.completed' || type === 'rec.clicked') {
      // the co-engagement model learns from these (the frequent in-view actions add nothing new)
      const moved = this.sellers.observe(userId, state.payload.sellerId, at, weight);
      for (let i = 0; i < moved.length; i++) {
        for (const live of this.streams.liveStreamsOf(moved[i])) {
          this.baseCache.delete(live);
          this.markStream(live, false);
        }
      }
    }
    const base = this.baseVector(streamId);
    if (base) {
      const raw = this.users.engage(userId, type, base, at);
      const rawNorm = Math.sqrt(raw.squaredNorm);
      if (rawNorm > 0 && Number.isFinite(rawNorm))
        this.streams.addAudience(streamId, raw.sum, weight / rawNorm, at);
    }
    this.markStream(streamId, false);
    this.dirtyUsers.add(userId);
  }

  /**
   * Drops idle users and co-engagement contexts (event time, so a replay drops the same ones). A
   * dropped user is no longer pending: draining them would publish a tombstone over what readers
   * rightly keep.
   */
  private sweepIdle(now: number): void {
    this.nextSweepAt = now + IDLE_SWEEP_EVERY_MS;
    this.idleUsersDropped += this.users.sweepIdle(now, (userId) => {
      this.dirtyUsers.delete(userId);
      this.staleUsers.delete(userId);
      this.forcedUsers.delete(userId);
    });
    this.sellers.sweepIdle(now);
  }

  private traceUrgent(streamId: string, traceparent: string | undefined): void {
    if (traceparent !== undefined) this.urgentTraces.set(streamId, traceparent);
  }

  private markStream(streamId: string, urgent: boolean, contentChanged = false): void {
    if (contentChanged) this.baseCache.delete(streamId);
    this.streamCache.delete(streamId);
    this.dirtyStreams.add(streamId);
    if (urgent) this.urgentStreams.add(streamId);
  }
}
