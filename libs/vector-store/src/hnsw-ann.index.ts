import { HierarchicalNSW, type Precision, type TypedSearchResult } from 'hnswlib-node';
import { dotAt } from './vector-math.kernel';

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
  /**
   * Update of a point already in the graph (see HnswAnnIndex.upsert), by its cosine distance from
   * the vector it was last linked at (`drift`, so many small moves add up). Below
   * `moveInPlaceBelow` only the vector is replaced, every link kept (~2 us); from there up to
   * `fullUpdateFrom` only the point itself is re-linked, from a search at efConstruction
   * (~0.2 ms at M 16 / efConstruction 200); from `fullUpdateFrom` on, also every neighbour
   * re-selects its links, as hnswlib's addPoint does on an existing label (~0.7-1.2 ms).
   * Both 0 = every update is addPoint's (the behaviour before these options). Defaults 0.1 / 0.2:
   * a 10th nearest neighbour of the clustered 128-d bench set is ~0.2 away; measured on 10k points
   * after 20k writer-like moves: 98 us CPU per update instead of 1.27 ms, recall@10 >= 0.998 at
   * every selectivity (bench/hnsw-update.bench.ts, README).
   */
  moveInPlaceBelow?: number;
  fullUpdateFrom?: number;
}

export const DEFAULT_HNSW_OPTIONS: Required<HnswOptions> = {
  m: 16,
  efConstruction: 200,
  efSearch: 128,
  seed: 42,
  precision: 'float32',
  moveInPlaceBelow: 0.1,
  fullUpdateFrom: 0.2,
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
    "path, no 'float16' precision or no updatePoint/replaceVector): run `npx patch-package && npm rebuild hnswlib-node` " +
    '(the postinstall script does both)';
  let result: AnnResult;
  try {
    const probe = new HierarchicalNSW('ip', 2, 'float16');
    probe.initIndex(2, 2, 8, 1, false);
    probe.addPoint(new Float32Array([1, 0]), 0);
    probe.addPoint(new Float32Array([0.6, 0.8]), 1);
    // the update entry points of the patch (a TypeError when the addon predates them)
    probe.replaceVector(new Float32Array([0, 1]), 0);
    probe.updatePoint(new Float32Array([1, 0]), 0, 0);
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

/** How the updates of points already in the graph were applied (see HnswOptions). */
export interface HnswUpdateCounts {
  /** Vector replaced, links kept (drift under moveInPlaceBelow). */
  inPlace: number;
  /** The point re-linked, its neighbours' links kept. */
  relinked: number;
  /** hnswlib's full update: the point and every neighbour re-linked. */
  full: number;
}

/**
 * hnswlib-node graph over inner product of normalised vectors (= cosine). Labels are arena slots,
 * so a recycled slot re-uses its graph node: hnswlib's addPoint on a marked deleted label
 * un-deletes it and moves the vector, repairing neighbours. An update of a present point costs by
 * how far it drifted since it was last linked (HnswOptions.moveInPlaceBelow / fullUpdateFrom).
 * Deletes are markDelete (the node still routes, never returned). All calls are synchronous, so
 * a write is visible to the next search.
 */
export class HnswAnnIndex {
  private readonly index: HierarchicalNSW;
  private state: Uint8Array;
  /** Graph nodes (present or deleted), as hnswlib's getCurrentCount, without a native call. */
  private nodes = 0;
  /**
   * Per slot, the vector the point was last linked at (row = slot), to measure its drift; empty
   * when every update is a full one (both thresholds 0).
   */
  private anchors: Float32Array;
  private readonly tiered: boolean;
  private readonly moveInPlaceBelow: number;
  private readonly fullUpdateFrom: number;
  private readonly counts: HnswUpdateCounts = { inPlace: 0, relinked: 0, full: 0 };

  constructor(
    private readonly dimension: number,
    capacity: number,
    private readonly options: HnswOptions,
  ) {
    this.index = new HierarchicalNSW('ip', dimension, options.precision);
    this.index.initIndex(capacity, options.m, options.efConstruction, options.seed, false);
    this.index.setEf(options.efSearch);
    this.state = new Uint8Array(capacity);
    this.moveInPlaceBelow = options.moveInPlaceBelow ?? DEFAULT_HNSW_OPTIONS.moveInPlaceBelow;
    this.fullUpdateFrom = options.fullUpdateFrom ?? DEFAULT_HNSW_OPTIONS.fullUpdateFrom;
    this.tiered = this.moveInPlaceBelow > 0 || this.fullUpdateFrom > 0;
    this.anchors = new Float32Array(this.tiered ? capacity * dimension : 0);
  }

  get capacity(): number {
    return this.state.length;
  }

  /** Updates of present points so far, by kind. */
  get updateCounts(): Readonly<HnswUpdateCounts> {
    return { ...this.counts };
  }

  /** Grows the graph's preallocated storage (hnswlib cannot add past maxElements). */
  ensureCapacity(capacity: number): void {
    if (capacity <= this.capacity) return;
    this.index.resizeIndex(capacity);
    const state = new Uint8Array(capacity);
    state.set(this.state);
    this.state = state;
    if (this.tiered) {
      const anchors = new Float32Array(capacity * this.dimension);
      anchors.set(this.anchors);
      this.anchors = anchors;
    }
  }

  /**
   * Adds the point, or moves it. `normalisedVector`: exactly `dimension` floats of unit length (a
   * view into the arena is fine: copied). A new or deleted slot is hnswlib's addPoint, so an
   * insert-only graph is built exactly as before the update tiers.
   */
  upsert(slot: number, normalisedVector: Float32Array): void {
    if (slot >= this.capacity) this.ensureCapacity(Math.max(slot + 1, this.capacity * 2));
    if (this.state[slot] === PRESENT) {
      this.move(slot, normalisedVector);
      return;
    }
    this.index.addPoint(normalisedVector, slot);
    this.anchor(slot, normalisedVector);
    if (this.state[slot] === 0) this.nodes++;
    this.state[slot] = PRESENT;
  }

  private move(slot: number, vector: Float32Array): void {
    const { moveInPlaceBelow, fullUpdateFrom } = this;
    // 1 - cosine between unit vectors; the anchor is only read when the tiers are on
    const drift = this.tiered
      ? 1 - dotAt(this.anchors, slot * this.dimension, vector, this.dimension)
      : Infinity;
    if (drift < moveInPlaceBelow) {
      this.index.replaceVector(vector, slot);
      this.counts.inPlace++;
      return;
    }
    if (drift < fullUpdateFrom) {
      this.index.updatePoint(vector, slot, 0);
      this.counts.relinked++;
    } else {
      this.index.updatePoint(vector, slot, 1);
      this.counts.full++;
    }
    this.anchor(slot, vector);
  }

  private anchor(slot: number, vector: Float32Array): void {
    if (this.tiered) this.anchors.set(vector, slot * this.dimension);
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
   * Approximate memory (bytes): per node the vector (float16: 2 bytes a component in the graph
   * plus the float32 copy beside it), the level-0 links (2M ids + count), label and upper-level
   * links for the ~1/ln(M) share of nodes above level 0, and the anchor vector (float32, JS heap)
   * when the update tiers are on.
   */
  get byteEstimate(): number {
    const { m, precision } = this.options;
    const graphVector = this.dimension * (precision === 'float16' ? 2 + 4 : 4);
    const vectorBytes = graphVector + (this.tiered ? this.dimension * 4 : 0);
    const perNode = vectorBytes + (2 * m + 1) * 4 + 8 + ((m + 1) * 4) / Math.log(m) + 16;
    return Math.round(perNode * this.index.getMaxElements());
  }
}
