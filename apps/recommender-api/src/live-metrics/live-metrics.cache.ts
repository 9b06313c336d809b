import { grownFloat64, grownInt32 } from '../ranking/typed-arrays';
import { StreamMetricsSnapshot, parseStreamLifecycle, parseStreamMetricsSnapshot } from '@app/contracts';
import { LIVE_ROW_STRIDE, NO_LIVE_FEATURES, liveFeaturesOf, writeLiveRow } from '../ranking/live-features';
import { LiveIndex, LiveSignals, RankingCandidate } from '../ranking/ranking.types';
import { CompactedRecord } from '@app/kafka';
import { LabelSlotTable } from './label-slot.table';
import { LiveSellers } from './live-sellers.index';
import { StreamLifecycleGate } from './stream-lifecycle.gate';
import { StringKeyPool } from './string-key.pool';
import { itemJsonHead } from '../feed/feed-response.json';

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
 * (last record per stream wins; `live: false` ends a stream; a tombstone forgets it) and by the
 * compacted `nowcast.streams.lifecycle.v1`, which tells of starts and ends before the metrics do
 * (a start is live with no activity until its metrics come; StreamLifecycleGate orders the two).
 * Serves the live set, live streams per seller, trending by engagement score and per-stream
 * lookups without any I/O on the request path.
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
  /** Bumped each time a slot is freed: a remembered slot (LabelSlotTable) is valid while unchanged. */
  private slotGenerations = new Int32Array(1024);
  /** Each live slot's live row (live-features.ts): what the ranker's hot loop reads per candidate. */
  private rows = new Float64Array(1024 * LIVE_ROW_STRIDE);
  /** Keys of the live streams' categories (the rows' category keys). */
  private readonly categoryKeys = new StringKeyPool();
  private readonly hitSlots = new LabelSlotTable();
  /** The LiveIndex over `rows` (a new one when they grow). */
  private index: LiveIndex = this.indexOver(this.rows);
  /**
   * One string per seller id, category and language of the live streams: the candidates of a
   * seller share it, so the ranker's per-candidate lookups by these (user maps, caps) read a few
   * hot strings instead of one per stream.
   */
  private readonly interned = new Map<string, string>();
  private readonly ended = new Map<string, StreamMetricsSnapshot>();
  /** Each seller's key and live streams (id -> slot), in the order they went live. */
  private readonly sellers = new LiveSellers();
  /** Live streams by engagement, best first: their candidates when the order was last sorted. */
  private trendingOrder: RankingCandidate[] = [];
  private trendingDirty = false;
  private trendingAt = 0;
  private invalidRecords = 0;
  private listeners: (() => void)[] = [];
  private readonly lifecycle: StreamLifecycleGate;

  constructor(
    private readonly options: LiveMetricsCacheOptions,
    private readonly clock: () => number = Date.now,
  ) {
    this.lifecycle = new StreamLifecycleGate(options.maxEnded);
  }

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
      const snapshot = this.parsed(record.value, parseStreamMetricsSnapshot);
      if (snapshot !== undefined && this.lifecycle.admitsMetrics(snapshot)) this.apply(snapshot);
    }
    for (const listener of this.listeners) listener();
  }

  /** Records of the lifecycle feed (a tombstone forgets what that feed said of the stream). */
  applyLifecycleRecords(records: readonly CompactedRecord[]): void {
    const now = this.clock();
    for (const record of records) {
      if (record.value === null || record.value.length === 0) {
        this.lifecycle.forget(record.key);
        continue;
      }
      const lifecycle = this.parsed(record.value, parseStreamLifecycle);
      if (lifecycle === undefined) continue;
      const next = this.lifecycle.onLifecycle(lifecycle, this.get(lifecycle.streamId), now);
      if (next !== undefined) this.apply(next);
    }
    for (const listener of this.listeners) listener();
  }

  /** A record's value as parsed, or undefined (counted invalid) when the contract refuses it. */
  private parsed<T>(value: Buffer, parse: (text: string) => T): T | undefined {
    try {
      return parse(value.toString('utf8'));
    } catch {
      this.invalidRecords++;
      return undefined;
    }
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
      // the item's constant JSON start, rebuilt only when the stream's id, seller, title or category
      // changed (a snapshot ~4/s a stream otherwise re-uses the previous one's)
      const before = this.candidates[slot];
      candidate.jsonHead =
        before !== undefined &&
        before.streamId === candidate.streamId &&
        before.sellerId === candidate.sellerId &&
        before.title === candidate.title &&
        before.category === candidate.category
          ? before.jsonHead
          : itemJsonHead(candidate);
      // the new category's key first: an unchanged one keeps its key
      const categoryKey = this.categoryKeys.acquire(candidate.category);
      if (previous) this.categoryKeys.release(previous.category);
      const sellerKey = this.sellers.add(candidate.sellerId, id, slot);
      this.snapshots[slot] = snapshot;
      this.candidates[slot] = candidate;
      if ((slot + 1) * LIVE_ROW_STRIDE > this.rows.length) this.growRows(slot + 1);
      if (slot >= this.slotGenerations.length) this.growGenerations(slot + 1);
      const features = candidate.liveFeatures ?? NO_LIVE_FEATURES;
      writeLiveRow(this.rows, slot, features, candidate.startedAt, sellerKey, categoryKey);
    } else {
      if (previous) this.unindex(previous);
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
   * The live streams' rows and keys (valid until the next `apply`: take it with the candidates, in
   * the same synchronous step, for RankRequest.live).
   */
  liveIndex(): LiveIndex {
    return this.index;
  }

  /** The shared ranking candidate of a live stream (never mutate it: copy to add similarity). */
  liveCandidate(streamId: string): RankingCandidate | undefined {
    const slot = this.slotOf.get(streamId);
    return slot === undefined ? undefined : this.candidates[slot];
  }

  /**
   * The slot (RankingCandidate.key) of a vector hit's live stream, -1 when it is not live: `label`
   * is the store's integer for the point (searchLabeled; undefined from a store without labels),
   * `id` the store's own id string. A label seen before reaches the slot by index
   * (LabelSlotTable); else, or when the store re-used the label or the cache the slot since, the id
   * is looked up and the label remembered.
   */
  liveSlotOfHit(id: string, label: number | undefined): number {
    if (label !== undefined) {
      const remembered = this.hitSlots.slotOf(label, id, this.slotGenerations);
      if (remembered >= 0) return remembered;
    }
    const slot = this.slotOf.get(id);
    if (slot === undefined) return -1;
    if (label !== undefined) this.hitSlots.remember(label, id, slot, this.slotGenerations[slot]);
    return slot;
  }

  /** The shared ranking candidate of the live stream in `slot` (a slot from this cache, now). */
  liveCandidateAt(slot: number): RankingCandidate {
    return this.candidates[slot]!;
  }

  /** The slots of a seller's live streams, in the order they went live. */
  liveSlotsOf(sellerId: string): IterableIterator<number> {
    return this.sellers.slotsOf(sellerId);
  }

  /** The shared ranking candidates of a seller's live streams, in the order they went live. */
  liveCandidatesOf(sellerId: string): RankingCandidate[] {
    return Array.from(this.liveSlotsOf(sellerId), (slot) => this.candidates[slot]!);
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
    this.lifecycle.forget(streamId);
    const previous = this.getLive(streamId);
    if (previous) this.unindex(previous);
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
    this.slotGenerations[slot]++;
  }

  /** A live stream's snapshot leaves the seller index and its category key (it ended or left). */
  private unindex(snapshot: StreamMetricsSnapshot): void {
    this.unindexSeller(snapshot);
    this.categoryKeys.release(snapshot.category);
  }

  private growGenerations(n: number): void {
    this.slotGenerations = grownInt32(this.slotGenerations, Math.max(n, 2 * this.slotGenerations.length));
  }

  private indexOver(rows: Float64Array): LiveIndex {
    return {
      rows,
      streamKey: (streamId) => this.slotOf.get(streamId) ?? -1,
      sellerKey: (sellerId) => this.sellers.keyOf(sellerId),
      categoryKey: (category) => this.categoryKeys.keyOf(category),
    };
  }

  private growRows(slots: number): void {
    this.rows = grownFloat64(
      this.rows,
      Math.max(slots, 2 * (this.rows.length / LIVE_ROW_STRIDE)) * LIVE_ROW_STRIDE,
    );
    this.index = this.indexOver(this.rows);
  }

  /** The one string of this value (bounded: past MAX_INTERNED distinct values, as given). */
  private intern(value: string): string {
    const known = this.interned.get(value);
    if (known !== undefined) return known;
    if (this.interned.size < MAX_INTERNED) this.interned.set(value, value);
    return value;
  }

  private unindexSeller(snapshot: StreamMetricsSnapshot): void {
    this.sellers.remove(snapshot.sellerId, snapshot.streamId);
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
    jsonHead: undefined,
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
