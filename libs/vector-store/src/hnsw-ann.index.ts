import { HierarchicalNSW } from 'hnswlib-node';

export interface HnswOptions {
  /** Graph degree; 16 is the usual sweet spot for 100-d+ embeddings. */
  m: number;
  /** Build-time beam width; higher = better graph, slower inserts. */
  efConstruction: number;
  /** Query-time beam width; tuned so recall@10 >= 0.99 (see README). */
  efSearch: number;
  /** Fixed so level assignment, hence the graph and the results, are reproducible. */
  seed: number;
}

export const DEFAULT_HNSW_OPTIONS: HnswOptions = { m: 16, efConstruction: 200, efSearch: 128, seed: 42 };

const PRESENT = 1;
const DELETED = 2;

/**
 * hnswlib-node graph over inner product of normalised vectors (= cosine). Labels are arena slots,
 * so a recycled slot re-uses its graph node: hnswlib's addPoint on an existing (or marked
 * deleted) label un-deletes it and moves the vector, repairing neighbours. Deletes are
 * markDelete (the node still routes, never returned). All calls are synchronous, so a write is
 * visible to the next search.
 */
export class HnswAnnIndex {
  private readonly index: HierarchicalNSW;
  private state: Uint8Array;
  /** Graph nodes (present or deleted), as hnswlib's getCurrentCount, without a native call. */
  private nodes = 0;
  /** The query as the plain array hnswlib-node takes, reused (searches are synchronous). */
  private readonly query: number[];

  constructor(
    private readonly dimension: number,
    capacity: number,
    private readonly options: HnswOptions,
  ) {
    this.index = new HierarchicalNSW('ip', dimension);
    this.index.initIndex(capacity, options.m, options.efConstruction, options.seed, false);
    this.index.setEf(options.efSearch);
    this.state = new Uint8Array(capacity);
    this.query = new Array<number>(dimension).fill(0);
  }

  get capacity(): number {
    return this.state.length;
  }

  /** Grows the graph's preallocated storage (hnswlib cannot add past maxElements). */
  ensureCapacity(capacity: number): void {
    if (capacity <= this.capacity) return;
    this.index.resizeIndex(capacity);
    const state = new Uint8Array(capacity);
    state.set(this.state);
    this.state = state;
  }

  upsert(slot: number, normalisedVector: Float32Array): void {
    if (slot >= this.capacity) this.ensureCapacity(Math.max(slot + 1, this.capacity * 2));
    // hnswlib-node only accepts plain arrays (Napi IsArray), not typed arrays.
    this.index.addPoint(Array.from(normalisedVector), slot);
    if (this.state[slot] === 0) this.nodes++;
    this.state[slot] = PRESENT;
  }

  remove(slot: number): void {
    if (this.state[slot] !== PRESENT) return;
    this.index.markDelete(slot);
    this.state[slot] = DELETED;
  }

  /**
   * Approximate top-k slots. `allow` runs inside hnswlib's base-layer search, so rejected nodes
   * still route but never fill the result: a selective filter keeps returning k results (the
   * search keeps going until ef allowed nodes are found or the graph is exhausted).
   */
  search(normalisedQuery: Float32Array, k: number, allow?: (slot: number) => boolean): number[] {
    // capacity is the graph's maxElements (ensureCapacity keeps them equal)
    const limit = Math.min(k, this.capacity);
    if (limit <= 0 || this.nodes === 0) return [];
    const query = this.query;
    for (let i = 0; i < this.dimension; i++) query[i] = normalisedQuery[i];
    const result = allow ? this.index.searchKnn(query, limit, allow) : this.index.searchKnn(query, limit);
    return result.neighbors;
  }

  /**
   * Approximate native memory (bytes): per node the vector, the level-0 links (2M ids + count),
   * label and upper-level links for the ~1/ln(M) share of nodes above level 0.
   */
  get byteEstimate(): number {
    const { m } = this.options;
    const perNode = this.dimension * 4 + (2 * m + 1) * 4 + 8 + ((m + 1) * 4) / Math.log(m) + 16;
    return Math.round(perNode * this.index.getMaxElements());
  }
}
