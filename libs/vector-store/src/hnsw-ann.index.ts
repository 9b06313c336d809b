import { HierarchicalNSW, type Precision, type TypedSearchResult } from 'hnswlib-node';

/**
 * How the graph stores vectors. 'float16': IEEE half precision in the graph (a search reads
 * ~40 % fewer bytes), each point's float32 vector kept beside it by the addon, and the walk's ef
 * best re-scored in float32: returned distances are exact either way, only which points the walk
 * finds may differ. Measured (bench/hnsw-precision.bench.ts, 128-d, ef 48, k 33): 3-7 % less CPU
 * per search at 10k points, ~15 % at 100k, same recall, +50 % vector memory (the float32 copy);
 * so the default stays 'float32'.
 */
export type HnswPrecision = Precision;

export interface HnswOptions {
  /** Graph degree; 16 is the usual sweet spot for 100-d+ embeddings. */
  m: number;
  /** Build-time beam width; higher = better graph, slower inserts. */
  efConstruction: number;
  /** Query-time beam width; tuned so recall@10 >= 0.99 (see README). */
  efSearch: number;
  /** Fixed so level assignment, hence the graph and the results, are reproducible. */
  seed: number;
  /** Storage of the graph's vectors (see HnswPrecision). */
  precision: HnswPrecision;
}

export const DEFAULT_HNSW_OPTIONS: HnswOptions = {
  m: 16,
  efConstruction: 200,
  efSearch: 128,
  seed: 42,
  precision: 'float32',
};

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
 * Float32Array and answer with typed arrays (~20 us less per search than its Array path: two
 * N-API calls per query element and per result), and to offer the 'float16' precision. An
 * install that skipped the rebuild still has the stock addon (or one built from an older patch),
 * which rejects a Float32Array or a precision: fail here, when the module loads, with the fix,
 * rather than at the first search or silently slower through a fallback.
 */
function assertPatchedAddon(): void {
  const unpatched =
    'hnswlib-node native addon is not built from patches/hnswlib-node+3.0.0.patch (no Float32Array ' +
    "path or no 'float16' precision): run `npx patch-package && npm rebuild hnswlib-node` " +
    '(the postinstall script does both)';
  let result: AnnResult;
  try {
    const probe = new HierarchicalNSW('ip', 2, 'float16');
    probe.initIndex(2, 2, 8, 1, false);
    probe.addPoint(new Float32Array([1, 0]), 0);
    probe.addPoint(new Float32Array([0.6, 0.8]), 1);
    result = probe.searchKnn(new Float32Array([0.6, 0.8]), 2);
  } catch (error) {
    throw new Error(unpatched, { cause: error });
  }
  // by tag, not instanceof: under jest the addon's typed arrays come from another realm. The
  // second distance is 1 - 0.6 re-scored in float32 (float16 would store 0.6 as 0.6001).
  if (
    Object.prototype.toString.call(result.neighbors) !== '[object Uint32Array]' ||
    result.neighbors[0] !== 1 ||
    result.distances[1] !== Math.fround(1 - Math.fround(0.6))
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
    this.index = new HierarchicalNSW('ip', dimension, options.precision);
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
   * Approximate native memory (bytes): per node the vector (float16: 2 bytes a component in the
   * graph plus the float32 copy beside it), the level-0 links (2M ids + count), label and
   * upper-level links for the ~1/ln(M) share of nodes above level 0.
   */
  get byteEstimate(): number {
    const { m, precision } = this.options;
    const vectorBytes = this.dimension * (precision === 'float16' ? 2 + 4 : 4);
    const perNode = vectorBytes + (2 * m + 1) * 4 + 8 + ((m + 1) * 4) / Math.log(m) + 16;
    return Math.round(perNode * this.index.getMaxElements());
  }
}
