/** Typed arrays a slab can be made of. */
export type SlabArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** Slots per page: big pages are few objects for the GC; small ones waste little at the end. */
const PAGE_BITS = 12;
const PAGE_SLOTS = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SLOTS - 1;

/**
 * Fixed-width records (`width` numbers per slot) in typed-array pages of 4,096 slots, allocated as
 * slots are first used and never moved (growing copies nothing). Per-user state kept this way is a
 * few large objects instead of several small ones per user: the writer's old-generation GC marked
 * ~23 objects per user, and at ~400k users its incremental marking took ~1 s of CPU per major GC.
 */
export class PagedSlab<A extends SlabArray> {
  private readonly pages: A[] = [];

  constructor(
    private readonly create: (length: number) => A,
    readonly width: number,
  ) {}

  /** The page holding `slot` (its record starts at `offset(slot)`). */
  page(slot: number): A {
    const index = slot >>> PAGE_BITS;
    while (this.pages.length <= index) this.pages.push(this.create(PAGE_SLOTS * this.width));
    return this.pages[index];
  }

  offset(slot: number): number {
    return (slot & PAGE_MASK) * this.width;
  }

  /** Field `field` of a slot's record. */
  get(slot: number, field = 0): number {
    return this.page(slot)[this.offset(slot) + field];
  }

  set(slot: number, value: number, field = 0): void {
    this.page(slot)[this.offset(slot) + field] = value;
  }

  /** A view of one slot's record (a new view object; the numbers are the slab's own). */
  view(slot: number): A {
    const offset = this.offset(slot);
    return this.page(slot).subarray(offset, offset + this.width) as A;
  }
}
