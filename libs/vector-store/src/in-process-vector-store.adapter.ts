import {
  DEFAULT_HNSW_OPTIONS,
  HnswAnnIndex,
  type HnswOptions,
  type HnswUpdateCounts,
} from './hnsw-ann.index';
import { DEFAULT_PAYLOAD_INDEXES } from './payload-index.config';
import { type CandidatePostings, PayloadInvertedIndex, forEachPostedSlot } from './payload-inverted.index';
import { type PayloadPredicate, compileFilter } from './payload-filter.evaluator';
import type { Filter, Payload } from './payload-filter.types';
import { TopKHeap, dotAt, normalizeInto, normalized } from './vector-math.kernel';
import { VectorArena } from './vector.arena';
import { VectorPointNotFoundError, VectorStoreRequestError } from './vector-store.error';
import type {
  ScoredPoint,
  SearchByPointIdRequest,
  SearchRequest,
  VectorPoint,
  VectorStore,
} from './vector-store.interface';

export interface InProcessVectorStoreOptions {
  dimension: number;
  /**
   * Searches whose candidate set (points matching the filter) has at most this many points are
   * exact brute force; larger ones use the HNSW graph, which is built the first time the store
   * holds more points than this. 0 = always HNSW; Infinity = always exact (no graph). Default
   * 'auto': max(2000, 25 * sqrt(points)), the measured crossover (README).
   */
  exactSearchThreshold?: number | 'auto';
  /** Payload fields with an inverted index (keyword / bool / integer equality filters). */
  indexedFields?: readonly string[];
  hnsw?: Partial<HnswOptions>;
  /** Points preallocated in the arena and the graph (both double when full). */
  initialCapacity?: number;
}

export interface InProcessVectorStoreStats {
  points: number;
  capacity: number;
  arenaBytes: number;
  annActive: boolean;
  annBytesEstimate: number;
  /** How the graph applied updates of points it held (zeros before the graph exists). */
  annUpdates: HnswUpdateCounts;
  exactSearchThreshold: number;
}

/**
 * Exact costs ~0.15 us per candidate; filtered HNSW costs grow as ef * log(n) / selectivity, so
 * the candidate count where they cross grows like sqrt(n): measured ~2.2k at 10k points and
 * ~8k at 100k (README). 'auto' follows that curve.
 */
export function autoExactSearchThreshold(points: number): number {
  return Math.max(2_000, Math.round(25 * Math.sqrt(points)));
}
/** Payloads sampled to estimate how many points a non-indexed filter matches. */
const SELECTIVITY_SAMPLE = 256;

interface Hit {
  slot: number;
  score: number;
}

/**
 * Vector store in the process's memory: normalised vectors in one arena, exact search over small
 * candidate sets, filtered HNSW (hnswlib-node) above `exactSearchThreshold`. Every method mutates
 * synchronously, so a write is visible to the next search.
 */
export class InProcessVectorStore implements VectorStore {
  readonly dimension: number;
  private readonly thresholdOption: number | 'auto';
  private readonly hnswOptions: HnswOptions;
  private readonly arena: VectorArena;
  private readonly ids: (string | undefined)[] = [];
  private readonly payloads: (Payload | undefined)[] = [];
  private readonly slotsById = new Map<string, number>();
  private readonly inverted: PayloadInvertedIndex;
  private ann: HnswAnnIndex | null = null;
  /** The normalised query, reused: a search runs synchronously and hnswlib copies the query. */
  private readonly query: Float32Array;

  constructor(options: InProcessVectorStoreOptions) {
    if (!Number.isInteger(options.dimension) || options.dimension <= 0) {
      throw new VectorStoreRequestError(`Invalid dimension ${options.dimension}`);
    }
    this.dimension = options.dimension;
    this.thresholdOption = options.exactSearchThreshold ?? 'auto';
    this.hnswOptions = { ...DEFAULT_HNSW_OPTIONS, ...options.hnsw };
    this.arena = new VectorArena(this.dimension, options.initialCapacity ?? 1024);
    this.query = new Float32Array(this.dimension);
    const defaultFields = DEFAULT_PAYLOAD_INDEXES.filter(
      (i) => i.schema === 'keyword' || i.schema === 'bool',
    ).map((i) => i.field);
    this.inverted = new PayloadInvertedIndex(options.indexedFields ?? defaultFields);
  }

  ensureCollection(): Promise<void> {
    return Promise.resolve();
  }

  upsert(points: readonly VectorPoint[]): Promise<void> {
    return settle(() => this.upsertAll(points));
  }

  private upsertAll(points: readonly VectorPoint[]): void {
    // Validate the whole batch first so a bad point leaves the store untouched.
    const rows = points.map((p) => {
      if (typeof p.id !== 'string' || p.id.length === 0)
        throw new VectorStoreRequestError('Point id must be a non-empty string');
      return normalized(p.vector, this.dimension);
    });
    points.forEach((point, i) => this.upsertOne(point.id, rows[i], storedPayload(point.payload)));
    this.activateAnnWhenLarge();
  }

  delete(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      const slot = this.slotsById.get(id);
      if (slot === undefined) continue;
      this.inverted.remove(slot, this.payloadAt(slot));
      this.ann?.remove(slot);
      this.arena.release(slot);
      this.slotsById.delete(id);
      this.ids[slot] = undefined;
      this.payloads[slot] = undefined;
    }
    return Promise.resolve();
  }

  deleteWhere(filter: Filter): Promise<void> {
    return settle(() => {
      const predicate = compileFilter(filter);
      const matching: string[] = [];
      this.forEachCandidate(this.inverted.candidates(filter), (slot) => {
        if (predicate(this.payloadAt(slot))) matching.push(this.ids[slot]!);
      });
      return matching;
    }).then((ids) => this.delete(ids));
  }

  setPayload(ids: string | readonly string[], payload: Payload): Promise<void> {
    return settle(() => this.mergePayload(typeof ids === 'string' ? [ids] : ids, payload));
  }

  private mergePayload(ids: readonly string[], payload: Payload): void {
    for (const id of ids) {
      const slot = this.slotsById.get(id);
      if (slot === undefined) continue;
      const previous = this.payloadAt(slot);
      this.inverted.remove(slot, previous);
      const merged = storedPayload({ ...previous, ...payload });
      this.payloads[slot] = merged;
      this.inverted.add(slot, merged);
    }
  }

  search(request: SearchRequest): Promise<ScoredPoint[]> {
    return settle(() => {
      normalizeInto(request.vector, this.dimension, this.query, 0);
      const hits = this.topK(this.query, checkLimit(request.limit), request.filter, -1);
      return this.toScored(hits, request.withPayload ?? true);
    });
  }

  /**
   * `search`, each hit with its `label`: the point's integer in this store (its arena slot), the
   * same for a point as long as it is stored; a deleted point's label may later name another
   * point. A caller can key its own per-point tables by it instead of hashing ids (the feed's
   * metrics cache does); `id` is the store's own string for the point, the same object each time.
   */
  searchLabeled(request: SearchRequest): Promise<(ScoredPoint & { label: number })[]> {
    return settle(() => {
      normalizeInto(request.vector, this.dimension, this.query, 0);
      const hits = this.topK(this.query, checkLimit(request.limit), request.filter, -1);
      const withPayload = request.withPayload ?? true;
      return hits.map(({ slot, score }) => ({
        id: this.ids[slot] ?? '',
        score,
        payload: withPayload ? this.payloadAt(slot) : undefined,
        label: slot,
      }));
    });
  }

  searchByPointId(request: SearchByPointIdRequest): Promise<ScoredPoint[]> {
    return settle(() => {
      const slot = this.slotsById.get(request.id);
      if (slot === undefined) throw new VectorPointNotFoundError(request.id);
      // the stored row itself as the query: nothing writes to the arena during a search
      const hits = this.topK(this.arena.row(slot), checkLimit(request.limit), request.filter, slot);
      return this.toScored(hits, request.withPayload ?? true);
    });
  }

  count(filter?: Filter): Promise<number> {
    return settle(() => {
      if (!filter) return this.arena.size;
      const predicate = compileFilter(filter);
      let n = 0;
      this.forEachCandidate(this.inverted.candidates(filter), (slot) => {
        if (predicate(this.payloadAt(slot))) n++;
      });
      return n;
    });
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }

  stats(): InProcessVectorStoreStats {
    return {
      points: this.arena.size,
      capacity: this.arena.capacity,
      arenaBytes: this.arena.byteLength,
      annActive: this.ann !== null,
      annBytesEstimate: this.ann?.byteEstimate ?? 0,
      annUpdates: this.ann?.updateCounts ?? { inPlace: 0, relinked: 0, full: 0 },
      exactSearchThreshold: this.exactSearchThreshold,
    };
  }

  /** Current exact/HNSW cut-over in candidates. */
  get exactSearchThreshold(): number {
    const option = this.thresholdOption;
    return option === 'auto' ? autoExactSearchThreshold(this.arena.size) : option;
  }

  private upsertOne(id: string, row: Float32Array, payload: Payload): void {
    let slot = this.slotsById.get(id);
    let unchanged = false;
    if (slot === undefined) {
      slot = this.arena.allocate();
      this.slotsById.set(id, slot);
      this.ids[slot] = id;
    } else {
      this.inverted.remove(slot, this.payloadAt(slot));
      // a payload-only change (or a republished vector): the graph has nothing to do
      unchanged = sameRow(this.arena.row(slot), row);
    }
    this.arena.writeRow(slot, row);
    this.payloads[slot] = payload;
    this.inverted.add(slot, payload);
    if (this.ann && !unchanged) {
      this.ann.ensureCapacity(this.arena.capacity);
      this.ann.upsert(slot, row);
    }
  }

  /** Builds the graph once the store outgrows exact search (a one-off synchronous cost). */
  private activateAnnWhenLarge(): void {
    if (this.ann || this.arena.size <= this.exactSearchThreshold) return;
    const ann = new HnswAnnIndex(this.dimension, this.arena.capacity, this.hnswOptions);
    for (let slot = 0; slot < this.arena.highWater; slot++) {
      if (this.arena.isLive(slot)) ann.upsert(slot, this.arena.row(slot));
    }
    this.ann = ann;
  }

  /**
   * Chooses exact or HNSW by the size of the candidate set, as Qdrant's query planner does:
   * unfiltered -> whole store; indexed `must` matches -> smallest posting list; otherwise a
   * sample of payloads estimates how many points the filter matches.
   */
  private topK(query: Float32Array, k: number, filter: Filter | undefined, exclude: number): Hit[] {
    if (k === 0) return [];
    const ann = this.ann;
    const threshold = this.exactSearchThreshold;
    if (!filter) {
      if (!ann || this.arena.size <= threshold) return this.exact(query, k, null, exclude);
      return this.approximate(ann, query, k, undefined, exclude);
    }
    const predicate = compileFilter(filter);
    const indexed = this.inverted.candidates(filter);
    const accept = (slot: number): boolean => slot !== exclude && predicate(this.payloadAt(slot));
    const baseSize = indexed ? indexed.size : this.arena.size;
    if (!ann || baseSize <= threshold) return this.exactFiltered(query, k, indexed, accept);
    // The predicate re-checks the indexed conditions too, so the graph filter needs nothing else.
    if (this.estimateMatches(indexed, predicate, baseSize) > threshold) {
      return this.approximate(ann, query, k, accept, exclude);
    }
    const matching: number[] = [];
    this.forEachCandidate(indexed, (slot) => {
      if (accept(slot)) matching.push(slot);
    });
    if (matching.length <= threshold) return this.exact(query, k, matching, exclude);
    const allowed = new Set(matching);
    return this.approximate(ann, query, k, (s) => allowed.has(s), exclude);
  }

  private exactFiltered(
    query: Float32Array,
    k: number,
    indexed: CandidatePostings | null,
    accept: (slot: number) => boolean,
  ): Hit[] {
    if (!indexed) return this.exact(query, k, null, -1, accept);
    if (indexed.sets.length === 1) return this.exact(query, k, indexed.sets[0], -1, accept);
    const matching: number[] = [];
    this.forEachCandidate(indexed, (slot) => {
      if (accept(slot)) matching.push(slot);
    });
    return this.exact(query, k, matching, -1);
  }

  /** Brute force; tight loops without per-slot closures, as this is the hottest path. */
  private exact(
    query: Float32Array,
    k: number,
    candidates: Iterable<number> | null,
    exclude: number,
    accept?: (slot: number) => boolean,
  ): Hit[] {
    const heap = new TopKHeap(k);
    const data = this.arena.data;
    const dim = this.dimension;
    if (candidates === null) {
      const live = this.arena.liveFlags;
      const end = this.arena.highWater;
      for (let slot = 0; slot < end; slot++) {
        if (live[slot] !== 1 || slot === exclude || (accept && !accept(slot))) continue;
        const score = dotAt(data, slot * dim, query, dim);
        if (score > heap.threshold) heap.push(score, slot);
      }
    } else {
      for (const slot of candidates) {
        if (slot === exclude || (accept && !accept(slot))) continue;
        const score = dotAt(data, slot * dim, query, dim);
        if (score > heap.threshold) heap.push(score, slot);
      }
    }
    return heap.drain();
  }

  /**
   * Scores are hnswlib's own (1 - its float32 inner-product distance): no re-scoring in JS (a
   * 128-d dot product per hit), at float32 precision (~1e-7) where the exact path scores in
   * float64. Hits come nearest first; the sort only orders equal scores by slot, as exact does.
   */
  private approximate(
    ann: HnswAnnIndex,
    query: Float32Array,
    k: number,
    allow: ((slot: number) => boolean) | undefined,
    exclude: number,
  ): Hit[] {
    // Unfiltered: ask one more and drop the excluded point instead of a per-node JS callback.
    const { neighbors, distances } = ann.search(query, allow || exclude < 0 ? k : k + 1, allow);
    const hits: Hit[] = [];
    for (let i = 0; i < neighbors.length && hits.length < k; i++) {
      const slot = neighbors[i];
      if (slot !== exclude) hits.push({ slot, score: 1 - distances[i] });
    }
    return hits.sort((a, b) => b.score - a.score || a.slot - b.slot);
  }

  private estimateMatches(
    indexed: CandidatePostings | null,
    predicate: PayloadPredicate,
    baseSize: number,
  ): number {
    let seen = 0;
    let matched = 0;
    if (indexed) {
      // The first slots of each posting, spread over all postings.
      const perSet = Math.max(1, Math.ceil(SELECTIVITY_SAMPLE / indexed.sets.length));
      for (const set of indexed.sets) {
        let taken = 0;
        for (const slot of set) {
          if (taken++ === perSet) break;
          seen++;
          if (predicate(this.payloadAt(slot))) matched++;
        }
      }
    } else {
      // Evenly strided over the slot range: deterministic and insensitive to insertion order.
      const step = Math.max(1, Math.floor(this.arena.highWater / SELECTIVITY_SAMPLE));
      for (let slot = 0; slot < this.arena.highWater; slot += step) {
        if (!this.arena.isLive(slot)) continue;
        seen++;
        if (predicate(this.payloadAt(slot))) matched++;
      }
    }
    return seen === 0 ? 0 : (matched / seen) * baseSize;
  }

  private forEachCandidate(candidates: CandidatePostings | null, visit: (slot: number) => void): void {
    if (candidates) {
      forEachPostedSlot(candidates, this.arena.capacity, visit);
      return;
    }
    for (let slot = 0; slot < this.arena.highWater; slot++) if (this.arena.isLive(slot)) visit(slot);
  }

  private payloadAt(slot: number): Payload {
    return this.payloads[slot] ?? {};
  }

  /** Hits with the stored (frozen, see storedPayload) payloads themselves: no copy per hit. */
  private toScored(hits: Hit[], withPayload: boolean): ScoredPoint[] {
    return hits.map(({ slot, score }) => {
      const id = this.ids[slot] ?? '';
      return withPayload ? { id, score, payload: this.payloadAt(slot) } : { id, score };
    });
  }
}

/**
 * A payload as stored: a deep copy (the caller keeps its object), deep-frozen, so that search
 * results can hand out the stored payload itself and a caller writing to it throws instead of
 * changing the store.
 */
function storedPayload(payload: Payload): Payload {
  return deepFreeze(structuredClone(payload));
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 0) throw new VectorStoreRequestError(`Invalid limit ${limit}`);
  return limit;
}

/** Runs synchronous store code and reports its errors as a rejection, as an async store would. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/** The same floats (normalised rows: bit for bit, so the stored vector and its scores stay exact). */
function sameRow(stored: Float32Array, row: Float32Array): boolean {
  for (let i = 0; i < row.length; i++) if (stored[i] !== row[i]) return false;
  return true;
}
