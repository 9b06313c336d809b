/**
 * The sellers with live streams: each one's small integer key (LiveIndex.sellerKey, written in its
 * streams' rows) and its live streams (id -> cache slot) in the order they went live, in ONE map
 * entry per seller. A feed looks a user's sellers up twice (their live streams for the candidates,
 * their keys for the ranker): the second lookup finds the entry still in the CPU cache instead of
 * missing it again in a second map. A key is freed when the seller's last live stream leaves and
 * re-used by the next new seller, so keys stay below the number of live sellers.
 */
export class LiveSellers {
  private readonly entries = new Map<string, { key: number; streams: Map<string, number> }>();
  private readonly freeKeys: number[] = [];
  private nextKey = 0;

  /** Sellers with a live stream. */
  get size(): number {
    return this.entries.size;
  }

  /** The seller's key, -1 when it has no live stream. */
  keyOf(sellerId: string): number {
    return this.entries.get(sellerId)?.key ?? -1;
  }

  /** The slots of the seller's live streams, in the order they went live. */
  slotsOf(sellerId: string): IterableIterator<number> {
    return (this.entries.get(sellerId)?.streams ?? NO_STREAMS).values();
  }

  /** Notes that stream `streamId` of `sellerId` is live in `slot`; the seller's key. */
  add(sellerId: string, streamId: string, slot: number): number {
    let entry = this.entries.get(sellerId);
    if (entry === undefined) {
      entry = { key: this.freeKeys.pop() ?? this.nextKey++, streams: new Map<string, number>() };
      this.entries.set(sellerId, entry);
    }
    entry.streams.set(streamId, slot);
    return entry.key;
  }

  /** Stream `streamId` of `sellerId` is no longer live (or changed seller). */
  remove(sellerId: string, streamId: string): void {
    const entry = this.entries.get(sellerId);
    if (entry === undefined || !entry.streams.delete(streamId) || entry.streams.size > 0) return;
    this.entries.delete(sellerId);
    this.freeKeys.push(entry.key);
  }
}

const NO_STREAMS: ReadonlyMap<string, number> = new Map();
