/** Dense slot numbers for slab records: released slots are handed out again before new ones. */
export class SlotPool {
  private readonly released: number[] = [];
  private highWater = 0;

  /** A slot nobody holds (a reused one still holds its last owner's record). */
  acquire(): number {
    return this.released.pop() ?? this.highWater++;
  }

  release(slot: number): void {
    this.released.push(slot);
  }
}
