import { InProcessBus } from '@app/kafka';

/** A record of a tailed topic (same shape as the recommender's CompactedRecord). */
export interface TailedRecord {
  key: string;
  /** null = tombstone. */
  value: Buffer | null;
  /** Append time, epoch ms. */
  timestamp: number;
}

/**
 * Reads a topic of the in-process bus from the beginning of every partition and keeps following
 * it: the one-process twin of the recommender's change-feed readers (no group, nothing committed).
 * Appends are coalesced into one drain per macrotask so a burst of writes costs one callback.
 */
export class BusTail {
  private readonly next: number[];
  private unsubscribe: (() => void) | null = null;
  private scheduled = false;

  constructor(
    private readonly bus: InProcessBus,
    private readonly topic: string,
    private readonly apply: (records: readonly TailedRecord[]) => void,
  ) {
    this.next = new Array<number>(bus.partitionCount(topic)).fill(0);
  }

  start(): void {
    this.unsubscribe = this.bus.onAppend(this.topic, () => this.schedule());
    this.drain();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.unsubscribe) this.drain();
    });
  }

  private drain(): void {
    const records: TailedRecord[] = [];
    for (let partition = 0; partition < this.next.length; partition++) {
      for (;;) {
        const stored = this.bus.read(this.topic, partition, this.next[partition], 1_000);
        if (stored.length === 0) break;
        this.next[partition] = stored[stored.length - 1].offset + 1;
        for (const m of stored) {
          if (m.key) records.push({ key: m.key.toString('utf8'), value: m.value, timestamp: m.timestamp });
        }
      }
    }
    if (records.length > 0) this.apply(records);
  }
}
