/**
 * All vectors of the in-process store in one contiguous Float32Array (row = slot), normalised.
 * Slots of deleted points are recycled, so the arena never holds more rows than the peak count.
 * Memory: 4 bytes x dimension per slot of capacity (128-d: 512 B/point, 5.1 MB per 10k).
 */
export class VectorArena {
  private rows: Float32Array;
  private live: Uint8Array;
  private readonly freeSlots: number[] = [];
  private used = 0;
  private liveCount = 0;

  constructor(
    readonly dimension: number,
    initialCapacity: number,
  ) {
    const capacity = Math.max(1, initialCapacity);
    this.rows = new Float32Array(capacity * dimension);
    this.live = new Uint8Array(capacity);
  }

  get capacity(): number {
    return this.live.length;
  }

  /** Slots ever handed out; every live slot is below it. */
  get highWater(): number {
    return this.used;
  }

  get size(): number {
    return this.liveCount;
  }

  get data(): Float32Array {
    return this.rows;
  }

  /** 1 per live slot, 0 otherwise; indexed by slot (read-only use). */
  get liveFlags(): Uint8Array {
    return this.live;
  }

  get byteLength(): number {
    return this.rows.byteLength + this.live.byteLength;
  }

  isLive(slot: number): boolean {
    return this.live[slot] === 1;
  }

  /** Returns a free slot, doubling the arena when full. */
  allocate(): number {
    const recycled = this.freeSlots.pop();
    const slot = recycled ?? this.used++;
    if (slot >= this.capacity) this.grow(this.capacity * 2);
    this.live[slot] = 1;
    this.liveCount++;
    return slot;
  }

  release(slot: number): void {
    if (this.live[slot] !== 1) return;
    this.live[slot] = 0;
    this.liveCount--;
    this.freeSlots.push(slot);
  }

  /** Stores a row that is already normalised (see `normalized`). */
  writeRow(slot: number, row: Float32Array): void {
    this.rows.set(row, slot * this.dimension);
  }

  /** The stored row itself (a view): valid until the arena grows; for immediate reads only. */
  row(slot: number): Float32Array {
    const start = slot * this.dimension;
    return this.rows.subarray(start, start + this.dimension);
  }

  private grow(capacity: number): void {
    const rows = new Float32Array(capacity * this.dimension);
    rows.set(this.rows);
    const live = new Uint8Array(capacity);
    live.set(this.live);
    this.rows = rows;
    this.live = live;
  }
}
