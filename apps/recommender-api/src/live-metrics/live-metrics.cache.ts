import { StreamMetricsSnapshot, parseStreamMetricsSnapshot } from '@app/contracts';
import { LIVE_ROW_STRIDE, NO_LIVE_FEATURES, liveFeaturesOf, writeLiveRow } from '../ranking/live-features';
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
  /**
   * Live streams by slot: a small integer per live stream (freed when it ends or is forgotten), so
   * the feed's hot path reaches a stream's ranking candidate by array index, and the ranker dedupes
   * by it (RankingCandidate.key) instead of hashing ids.
   */
  private readonly slotOf = new Map<string, number>();
  private readonly snapshots: (StreamMetricsSnapshot | undefined)[] = [];
  /**
   * The ranking's view of each live stream (by slot), built once per snapshot (not per request):
   * feeds share these objects read-only, and all have one shape (similarity present, undefined).
   */
  private readonly candidates: (RankingCandidate | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  /** Each live slot's live row (live-features.ts): what the ranker's hot loop reads per candidate. */
  private rows = new Float64Array(1024 * LIVE_ROW_STRIDE);
  /**
   * One string per seller id, category and language of the live streams: the candidates of a
   * seller share it, so the ranker's per-candidate lookups by these (user maps, caps) read a few
   * hot strings instead of one per stream.
   */
  private readonly interned = new Map<string, string>();
  private readonly ended = new Map<string, StreamMetricsSnapshot>();
  /** Each seller's live streams (id -> current candidate), in the order they went live. */
  private readonly liveBySeller = new Map<string, Map<string, RankingCandidate>>();
  /** Live streams by engagement, best first: their candidates when the order was last sorted. */
  private trendingOrder: RankingCandidate[] = [];
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
    return this.slotOf.size;
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
    const id = snapshot.streamId;
    let slot = this.slotOf.get(id);
    const previous = slot === undefined ? undefined : this.snapshots[slot];
    if (previous && previous.sellerId !== snapshot.sellerId) this.unindexSeller(previous);
    if (snapshot.live) {
      this.ended.delete(id);
      if (slot === undefined) this.slotOf.set(id, (slot = this.freeSlots.pop() ?? this.snapshots.length));
      const candidate = rankingCandidateOf(snapshot, slot);
      // the stream's id string of its first snapshot: trending compares ids by reference then
      candidate.streamId = this.candidates[slot]?.streamId ?? id;
      candidate.sellerId = this.intern(candidate.sellerId);
      candidate.category = this.intern(candidate.category);
      candidate.language = this.intern(candidate.language);
      this.snapshots[slot] = snapshot;
      this.candidates[slot] = candidate;
      if ((slot + 1) * LIVE_ROW_STRIDE > this.rows.length) this.growRows(slot + 1);
      writeLiveRow(this.rows, slot, candidate.liveFeatures ?? NO_LIVE_FEATURES, candidate.startedAt);
      let streams = this.liveBySeller.get(snapshot.sellerId);
      if (!streams) this.liveBySeller.set(snapshot.sellerId, (streams = new Map<string, RankingCandidate>()));
      streams.set(id, candidate);
    } else {
      if (previous) this.unindexSeller(previous);
      this.release(id);
      this.ended.delete(id);
      this.ended.set(id, snapshot);
      if (this.ended.size > this.options.maxEnded) {
        const oldest = this.ended.keys().next();
        if (!oldest.done) this.ended.delete(oldest.value);
      }
    }
    this.trendingDirty = true;
  }

  get(streamId: string): StreamMetricsSnapshot | undefined {
    return this.getLive(streamId) ?? this.ended.get(streamId);
  }

  getLive(streamId: string): StreamMetricsSnapshot | undefined {
    const slot = this.slotOf.get(streamId);
    return slot === undefined ? undefined : this.snapshots[slot];
  }

  /**
   * The live rows of the live candidates, by key (valid until the next `apply`: take them with the
   * candidates, in the same synchronous step, for RankRequest.liveRows).
   */
  liveRows(): Float64Array {
    return this.rows;
  }

  /** The shared ranking candidate of a live stream (never mutate it: copy to add similarity). */
  liveCandidate(streamId: string): RankingCandidate | undefined {
    const slot = this.slotOf.get(streamId);
    return slot === undefined ? undefined : this.candidates[slot];
  }

  /** The shared ranking candidates of a seller's live streams, in the order they went live. */
  liveCandidatesOf(sellerId: string): IterableIterator<RankingCandidate> {
    return (this.liveBySeller.get(sellerId) ?? NO_STREAMS).values();
  }

  /** Live streams by engagement score, best first, filtered (their latest snapshots). */
  trending(query: TrendingQuery): StreamMetricsSnapshot[] {
    const out: StreamMetricsSnapshot[] = [];
    for (const c of this.sortedTrending()) {
      if (out.length >= query.limit) break;
      if (!matchesTrending(c, query)) continue;
      const current = this.getLive(c.streamId);
      if (current !== undefined) out.push(current);
    }
    return out;
  }

  /** `trending` as the shared ranking candidates: no id lookup per stream on the feed's hot path. */
  trendingCandidates(query: TrendingQuery): RankingCandidate[] {
    const out: RankingCandidate[] = [];
    for (const c of this.sortedTrending()) {
      if (out.length >= query.limit) break;
      if (!matchesTrending(c, query)) continue;
      // re-checks liveness too: the order may be up to trendingRefreshMs old; a stream that left
      // its slot since (ended, perhaps live again elsewhere) is looked up by id
      let current = this.candidates[c.key!];
      if (current?.streamId !== c.streamId) current = this.liveCandidate(c.streamId);
      if (current !== undefined) out.push(current);
    }
    return out;
  }

  private sortedTrending(): RankingCandidate[] {
    const now = this.clock();
    if (this.trendingDirty && now - this.trendingAt >= this.options.trendingRefreshMs) {
      const snapshots = this.snapshots;
      // a total order (ids are unique): the result does not depend on the slots' order
      const slots = [...this.slotOf.values()].sort((i, j) => {
        const a = snapshots[i]!;
        const b = snapshots[j]!;
        return (
          b.engagementScore - a.engagementScore || b.viewers - a.viewers || (a.streamId < b.streamId ? -1 : 1)
        );
      });
      this.trendingOrder = slots.map((slot) => this.candidates[slot]!);
      this.trendingDirty = false;
      this.trendingAt = now;
    }
    return this.trendingOrder;
  }

  private forget(streamId: string): void {
    const previous = this.getLive(streamId);
    if (previous) this.unindexSeller(previous);
    this.release(streamId);
    this.ended.delete(streamId);
    this.trendingDirty = true;
  }

  /** Frees a stream's slot (no longer live); the next stream to go live may take it. */
  private release(streamId: string): void {
    const slot = this.slotOf.get(streamId);
    if (slot === undefined) return;
    this.slotOf.delete(streamId);
    this.snapshots[slot] = undefined;
    this.candidates[slot] = undefined;
    this.freeSlots.push(slot);
  }

  private growRows(slots: number): void {
    const grown = new Float64Array(
      Math.max(slots, 2 * (this.rows.length / LIVE_ROW_STRIDE)) * LIVE_ROW_STRIDE,
    );
    grown.set(this.rows);
    this.rows = grown;
  }

  /** The one string of this value (bounded: past MAX_INTERNED distinct values, as given). */
  private intern(value: string): string {
    const known = this.interned.get(value);
    if (known !== undefined) return known;
    if (this.interned.size < MAX_INTERNED) this.interned.set(value, value);
    return value;
  }

  private unindexSeller(snapshot: StreamMetricsSnapshot): void {
    const streams = this.liveBySeller.get(snapshot.sellerId);
    streams?.delete(snapshot.streamId);
    if (streams?.size === 0) this.liveBySeller.delete(snapshot.sellerId);
  }
}

/** The query's filters; an empty exclusion set reads nothing of the stream (no cache miss). */
function matchesTrending(c: RankingCandidate, query: TrendingQuery): boolean {
  const sellers = query.excludeSellerIds;
  const streams = query.excludeStreamIds;
  return (
    (query.category === undefined || c.category === query.category) &&
    (query.language === undefined || c.language === query.language) &&
    (sellers === undefined || sellers.size === 0 || !sellers.has(c.sellerId)) &&
    (streams === undefined || streams.size === 0 || !streams.has(c.streamId))
  );
}

/** Distinct seller ids, categories and languages interned (~2k sellers live at 10k streams). */
const MAX_INTERNED = 100_000;

const NO_STREAMS: ReadonlyMap<string, RankingCandidate> = new Map();

/**
 * A snapshot as a ranking candidate (`key`: its slot in the cache, when live). Every candidate is
 * built with the same properties in the same order (`key` and `similarity` included, perhaps
 * undefined) so the ranker's hot loop sees one shape.
 */
export function rankingCandidateOf(s: StreamMetricsSnapshot, key?: number): RankingCandidate {
  const metrics = liveSignalsOf(s);
  return {
    key,
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
