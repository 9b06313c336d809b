import { HierarchicalNSW, type TypedSearchResult } from 'hnswlib-node';

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
 * Nearest first: `neighbors` are slots, `distances` hnswlib's inner-product distances
 * (1 - cosine, float32), both typed arrays filled by the addon in one go.
 */
export type AnnResult = TypedSearchResult;

const NO_RESULT: AnnResult = { distances: new Float32Array(0), neighbors: new Uint32Array(0) };

/**
 * hnswlib-node is patched (patches/hnswlib-node+3.0.0.patch, rebuilt by `postinstall`) to take a
 * Float32Array and answer with typed arrays: ~20 us less per search than its Array path (two
 * N-API calls per query element and per result). An install that skipped the rebuild still has
 * the stock addon, which rejects a Float32Array: fail here, when the module loads, with the fix,
 * rather than at the first search or silently slower through a fallback.
 */
function assertPatchedAddon(): void {
  const unpatched =
    'hnswlib-node native addon is the unpatched build (no Float32Array path): ' +
    'run `npx patch-package && npm rebuild hnswlib-node` (the postinstall script does both)';
  const probe = new HierarchicalNSW('ip', 2);
  probe.initIndex(1, 2, 8, 1, false);
  let result: AnnResult;
  try {
    probe.addPoint(new Float32Array([1, 0]), 0);
    result = probe.searchKnn(new Float32Array([1, 0]), 1);
  } catch (error) {
    throw new Error(unpatched, { cause: error });
  }
  // by tag, not instanceof: under jest the addon's typed arrays come from another realm
  if (
    Object.prototype.toString.call(result.neighbors) !== '[object Uint32Array]' ||
    result.neighbors[0] !== 0
  )
    throw new Error(unpatched);
}
assertPatchedAddon();

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

  constructor(
    private readonly dimension: number,
    capacity: number,
    private readonly options: HnswOptions,
  ) {
    this.index = new HierarchicalNSW('ip', dimension);
    this.index.initIndex(capacity, options.m, options.efConstruction, options.seed, false);
    this.index.setEf(options.efSearch);
    this.state = new Uint8Array(capacity);
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

  /** `normalisedVector`: exactly `dimension` floats (a view into the arena is fine: copied). */
  upsert(slot: number, normalisedVector: Float32Array): void {
    if (slot >= this.capacity) this.ensureCapacity(Math.max(slot + 1, this.capacity * 2));
    this.index.addPoint(normalisedVector, slot);
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
  search(normalisedQuery: Float32Array, k: number, allow?: (slot: number) => boolean): AnnResult {
    // capacity is the graph's maxElements (ensureCapacity keeps them equal)
    const limit = Math.min(k, this.capacity);
    if (limit <= 0 || this.nodes === 0) return NO_RESULT;
    // the addon copies the query (memcpy) and returns fresh typed arrays: nothing to copy here
    return allow
      ? this.index.searchKnn(normalisedQuery, limit, allow)
      : this.index.searchKnn(normalisedQuery, limit);
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
