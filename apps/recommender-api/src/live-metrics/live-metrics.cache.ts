import { StreamMetricsSnapshot, parseStreamMetricsSnapshot } from '@app/contracts';
import { liveFeaturesOf } from '../ranking/live-features';
import { LiveSignals, RankingCandidate } from '../ranking/ranking.types';
import { CompactedRecord } from '@app/kafka';

export interface TrendingQuery {
  category?: string;
  language?: string;
  excludeSellerIds?: ReadonlySet<string>;
  excludeStreamIds?: ReadonlySet<string>;
  limit: number;
}

export interface LiveMetricsCacheOptions {
  /** Ended streams kept for GET /v1/streams/{id} (live: false + lifetime totals), oldest dropped. */
  maxEnded: number;
  /** The trending order is re-sorted at most this often, ms (snapshots arrive ~4/s per stream). */
  trendingRefreshMs: number;
}

/**
 * Every stream's latest metrics snapshot, in memory, fed by the compacted `nowcast.metrics.streams.v1`
 * (last record per stream wins; `live: false` ends a stream; a tombstone forgets it). Serves the
 * live set, live streams per seller, trending by engagement score and per-stream lookups without
 * any I/O on the request path.
 */
export class LiveMetricsCache {
  private readonly live = new Map<string, StreamMetricsSnapshot>();
  private readonly ended = new Map<string, StreamMetricsSnapshot>();
  private readonly liveBySeller = new Map<string, Set<string>>();
  /**
   * The ranking's view of each live stream, built once per snapshot (not per request): feeds
   * share these objects read-only, and all have one shape (similarity present, undefined).
   */
  private readonly liveCandidates = new Map<string, RankingCandidate>();
  private trendingOrder: StreamMetricsSnapshot[] = [];
  private trendingDirty = false;
  private trendingAt = 0;
  private invalidRecords = 0;
  private listeners: (() => void)[] = [];

  constructor(
    private readonly options: LiveMetricsCacheOptions,
    private readonly clock: () => number = Date.now,
  ) {}

  get invalid(): number {
    return this.invalidRecords;
  }

  get liveCount(): number {
    return this.live.size;
  }

  /** Called after each applied batch (e.g. erasure/freshness waiters). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  applyRecords(records: readonly CompactedRecord[]): void {
    for (const record of records) {
      if (record.value === null || record.value.length === 0) {
        this.forget(record.key);
        continue;
      }
      try {
        this.apply(parseStreamMetricsSnapshot(record.value.toString('utf8')));
      } catch {
        this.invalidRecords++;
      }
    }
    for (const listener of this.listeners) listener();
  }

  apply(snapshot: StreamMetricsSnapshot): void {
    const previous = this.live.get(snapshot.streamId);
    if (previous && previous.sellerId !== snapshot.sellerId) this.unindexSeller(previous);
    if (snapshot.live) {
      this.ended.delete(snapshot.streamId);
      this.live.set(snapshot.streamId, snapshot);
      this.liveCandidates.set(snapshot.streamId, rankingCandidateOf(snapshot));
      let set = this.liveBySeller.get(snapshot.sellerId);
      if (!set) this.liveBySeller.set(snapshot.sellerId, (set = new Set()));
      set.add(snapshot.streamId);
    } else {
      if (previous) this.unindexSeller(previous);
      this.live.delete(snapshot.streamId);
      this.liveCandidates.delete(snapshot.streamId);
      this.ended.delete(snapshot.streamId);
      this.ended.set(snapshot.streamId, snapshot);
      if (this.ended.size > this.options.maxEnded) {
        const oldest = this.ended.keys().next();
        if (!oldest.done) this.ended.delete(oldest.value);
      }
    }
    this.trendingDirty = true;
  }

  get(streamId: string): StreamMetricsSnapshot | undefined {
    return this.live.get(streamId) ?? this.ended.get(streamId);
  }

  getLive(streamId: string): StreamMetricsSnapshot | undefined {
    return this.live.get(streamId);
  }

  /** The shared ranking candidate of a live stream (never mutate it: copy to add similarity). */
  liveCandidate(streamId: string): RankingCandidate | undefined {
    return this.liveCandidates.get(streamId);
  }

  liveStreamsOf(sellerId: string): ReadonlySet<string> {
    return this.liveBySeller.get(sellerId) ?? NO_STREAMS;
  }

  /** Live streams by engagement score, best first, filtered (their latest snapshots). */
  trending(query: TrendingQuery): StreamMetricsSnapshot[] {
    return this.trendingOf(query, this.live);
  }

  /** `trending` as the shared ranking candidates: one lookup per stream on the feed's hot path. */
  trendingCandidates(query: TrendingQuery): RankingCandidate[] {
    return this.trendingOf(query, this.liveCandidates);
  }

  /** The trending order filtered; `latest` (keyed like `live`) gives each stream's current view. */
  private trendingOf<T>(query: TrendingQuery, latest: ReadonlyMap<string, T>): T[] {
    const order = this.sortedTrending();
    const out: T[] = [];
    for (const s of order) {
      if (out.length >= query.limit) break;
      if (query.category !== undefined && s.category !== query.category) continue;
      if (query.language !== undefined && s.language !== query.language) continue;
      if (query.excludeSellerIds?.has(s.sellerId)) continue;
      if (query.excludeStreamIds?.has(s.streamId)) continue;
      // re-checks liveness too: the order may be up to trendingRefreshMs old
      const current = latest.get(s.streamId);
      if (current !== undefined) out.push(current);
    }
    return out;
  }

  private sortedTrending(): StreamMetricsSnapshot[] {
    const now = this.clock();
    if (this.trendingDirty && now - this.trendingAt >= this.options.trendingRefreshMs) {
      this.trendingOrder = [...this.live.values()].sort(
        (a, b) =>
          b.engagementScore - a.engagementScore ||
          b.viewers - a.viewers ||
          (a.streamId < b.streamId ? -1 : 1),
      );
      this.trendingDirty = false;
      this.trendingAt = now;
    }
    return this.trendingOrder;
  }

  private forget(streamId: string): void {
    const previous = this.live.get(streamId);
    if (previous) this.unindexSeller(previous);
    this.live.delete(streamId);
    this.liveCandidates.delete(streamId);
    this.ended.delete(streamId);
    this.trendingDirty = true;
  }

  private unindexSeller(snapshot: StreamMetricsSnapshot): void {
    const set = this.liveBySeller.get(snapshot.sellerId);
    set?.delete(snapshot.streamId);
    if (set?.size === 0) this.liveBySeller.delete(snapshot.sellerId);
  }
}

const NO_STREAMS: ReadonlySet<string> = new Set();

/**
 * A snapshot as a ranking candidate. Every candidate is built with the same properties in the
 * same order (`similarity` included, undefined here) so the ranker's hot loop sees one shape.
 */
export function rankingCandidateOf(s: StreamMetricsSnapshot): RankingCandidate {
  const metrics = liveSignalsOf(s);
  return {
    streamId: s.streamId,
    sellerId: s.sellerId,
    title: s.title,
    category: s.category,
    language: s.language,
    startedAt: s.startedAt,
    live: s.live,
    similarity: undefined,
    metrics,
    // once per snapshot, not per request and candidate
    liveFeatures: liveFeaturesOf(metrics),
  };
}

/** The ranking's view of a snapshot: current viewers, velocity and 5-minute rates. */
export function liveSignalsOf(snapshot: StreamMetricsSnapshot): LiveSignals {
  const rates = snapshot.rates['5m'];
  return {
    viewers: snapshot.viewers,
    viewerVelocity: snapshot.viewerVelocity,
    bidsPerMin: rates.bids,
    chatsPerMin: rates.chats,
    gmvPerMin: rates.gmv,
  };
}
