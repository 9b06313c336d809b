import { CompactedRecord } from '@app/kafka';

interface PartitionMark {
  /** Event time up to which that input partition is applied and flushed, epoch ms. */
  eventTime: number;
  /** Wall clock of the publication, epoch ms. */
  updatedAt: number;
}

export interface WatermarkTrackerOptions {
  /** Services whose watermarks bound asOf (e.g. metrics-aggregator, embedding-writer). */
  sources: readonly string[];
  /**
   * A partition that has not published for this long while another partition of the same source
   * did is idle (no events): it does not hold asOf back, ms.
   */
  idleAfterMs: number;
}

/**
 * Tracks the per-partition watermarks both upstream services publish on the compacted
 * `nowcast.watermarks.v1` topic and derives `asOf`: every event with occurredAt <= asOf that
 * reached Kafka is reflected in the metrics and the vectors. Accepts both record shapes in use:
 * `{source, topic, partition, eventTime, updatedAt}` (aggregator) and
 * `{service, topic, partition, eventTime, publishedAt}` (writer).
 */
export class WatermarkTracker {
  private readonly marks = new Map<string, Map<string, PartitionMark>>();
  private waiters: { minAsOf: number; resolve: (ok: boolean) => void; timer: NodeJS.Timeout }[] = [];
  private invalidRecords = 0;

  constructor(private readonly options: WatermarkTrackerOptions) {}

  get invalid(): number {
    return this.invalidRecords;
  }

  applyRecords(records: readonly CompactedRecord[]): void {
    for (const record of records) {
      if (record.value === null) continue;
      try {
        this.apply(JSON.parse(record.value.toString('utf8')) as Record<string, unknown>);
      } catch {
        this.invalidRecords++;
      }
    }
    this.wake();
  }

  apply(raw: Record<string, unknown>): void {
    const source = typeof raw.source === 'string' ? raw.source : raw.service;
    const { topic, partition, eventTime } = raw;
    const updatedAt = typeof raw.updatedAt === 'number' ? raw.updatedAt : raw.publishedAt;
    if (
      typeof source !== 'string' ||
      typeof topic !== 'string' ||
      typeof partition !== 'number' ||
      typeof eventTime !== 'number' ||
      typeof updatedAt !== 'number'
    ) {
      this.invalidRecords++;
      return;
    }
    let bySource = this.marks.get(source);
    if (!bySource) this.marks.set(source, (bySource = new Map<string, PartitionMark>()));
    const key = `${topic}:${partition}`;
    const previous = bySource.get(key);
    // watermarks only move forward (a compacted replay may deliver an older record first)
    if (previous && previous.eventTime > eventTime) return;
    bySource.set(key, { eventTime, updatedAt });
  }

  /** The low watermark over the configured sources, or null before every source published one. */
  asOf(): number | null {
    let min = Infinity;
    for (const source of this.options.sources) {
      const bySource = this.marks.get(source);
      if (!bySource || bySource.size === 0) return null;
      let newest = 0;
      for (const mark of bySource.values()) newest = Math.max(newest, mark.updatedAt);
      for (const mark of bySource.values()) {
        if (mark.updatedAt < newest - this.options.idleAfterMs) continue;
        min = Math.min(min, mark.eventTime);
      }
    }
    return Number.isFinite(min) ? min : null;
  }

  /** Resolves true as soon as asOf >= minAsOf, false after `timeoutMs`. */
  waitFor(minAsOf: number, timeoutMs: number): Promise<boolean> {
    const current = this.asOf();
    if (current !== null && current >= minAsOf) return Promise.resolve(true);
    if (timeoutMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = {
        minAsOf,
        resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(false);
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const asOf = this.asOf();
    if (asOf === null) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (asOf >= w.minAsOf) {
        clearTimeout(w.timer);
        w.resolve(true);
      } else still.push(w);
    }
    this.waiters = still;
  }
}
