import { grownInt32 } from '../ranking/typed-arrays';

/**
 * Which cache slot a vector store label (an InProcessVectorStore point's integer, see its
 * `searchLabeled`) led to last time, so that the next hit with that label reaches its live stream by
 * array index instead of a lookup by id in a map of every live stream (a hash of the id and a cache
 * miss per hit). An entry is used only while both sides still hold what they held when it was
 * written: the hit's id is the string remembered for the label (the store hands out its own string
 * per point, so this is a pointer compare; a label re-used for another stream has another id) and
 * the slot's generation is unchanged (the cache bumps it whenever it frees the slot).
 */
export class LabelSlotTable {
  private slots = new Int32Array(1024);
  private generations = new Int32Array(1024);
  /** Dense (filled to the slots' length): a write far past the end would make a sparse array. */
  private readonly ids: (string | undefined)[] = new Array<string | undefined>(1024).fill(undefined);

  /** The slot remembered for `label` with this `id`, -1 when none or no longer valid. */
  slotOf(label: number, id: string, slotGenerations: Int32Array): number {
    if (!(label >= 0 && label < this.slots.length) || this.ids[label] !== id) return -1;
    const slot = this.slots[label];
    return this.generations[label] === slotGenerations[slot] ? slot : -1;
  }

  /** Remembers that `label` with `id` is the stream in `slot` (at that slot's `generation`). */
  remember(label: number, id: string, slot: number, generation: number): void {
    if (!(label >= 0 && label < MAX_LABELS) || label !== (label | 0)) return;
    if (label >= this.slots.length) this.grow(label + 1);
    this.ids[label] = id;
    this.slots[label] = slot;
    this.generations[label] = generation;
  }

  private grow(n: number): void {
    const size = Math.max(n, 2 * this.slots.length);
    this.slots = grownInt32(this.slots, size);
    this.generations = grownInt32(this.generations, size);
    while (this.ids.length < size) this.ids.push(undefined);
  }
}

/** Labels past this are not remembered (looked up by id each time): bounds the table, 16 MB. */
const MAX_LABELS = 1 << 21;
