import { EventProducer, OutboundMessage } from '@app/kafka';
import { Logger } from '@nestjs/common';
import { AggregateStateRepository, Watermark } from '../state/aggregate-state.repository';
import { buildSnapshot, materialFingerprint } from './snapshot.builder';
import { sendChunked } from '../aggregation/send-chunked';

export interface ChangeFeedOptions {
  enrichedTopic: string;
  metricsTopic: string;
  watermarksTopic: string;
  /** Least time between two flushes (so between two records of one stream), ms. */
  coalesceMs: number;
  /** Who publishes (the key of the watermark records): e.g. "metrics-aggregator". */
  source: string;
}

/**
 * The per-stream metrics change feed and the per-partition watermarks. Batches mark the streams
 * they touched; a flush (at most every coalesceMs, at once after a lifecycle change) reads those
 * streams, produces a snapshot for each materially changed one, waits for the acks, and only then
 * publishes each partition's watermark: the event time up to which everything is applied AND in
 * the feed. The watermark therefore trails the applied state by at most ~coalesceMs + a flush.
 */
export class ChangeFeedPublisher {
  private readonly logger = new Logger(ChangeFeedPublisher.name);
  private dirty = new Map<string, number>();
  private pending = new Map<number, number>();
  /** Latest event time per partition (flushed or not): snapshots decay their rates to it. */
  private readonly eventTime = new Map<number, number>();
  private readonly published = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private lastFlushAt = 0;
  private urgent = false;
  private closed = false;

  constructor(
    private readonly repository: AggregateStateRepository,
    private readonly producer: EventProducer,
    private readonly options: ChangeFeedOptions,
    private readonly clock: () => number = Date.now,
  ) {}

  /** After a batch was applied: its streams, partition and event time (max of the partition). */
  markApplied(partition: number, streamIds: Iterable<string>, eventTime: number, urgent: boolean): void {
    for (const id of streamIds) this.dirty.set(id, partition);
    this.pending.set(partition, Math.max(this.pending.get(partition) ?? 0, eventTime));
    this.eventTime.set(partition, Math.max(this.eventTime.get(partition) ?? 0, eventTime));
    this.urgent ||= urgent;
    this.schedule();
  }

  /** Flushes what is pending now (and waits for a flush in progress first). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.dirty.size === 0 && this.pending.size === 0) return;
    this.flushing = this.flushOnce().finally(() => {
      this.flushing = null;
    });
    await this.flushing;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
  }

  private schedule(): void {
    if (this.closed || this.flushing) return;
    const wait = this.urgent ? 0 : Math.max(0, this.lastFlushAt + this.options.coalesceMs - this.clock());
    if (this.timer && !this.urgent) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush().then(
        () => this.afterFlush(),
        (error: unknown) => {
          // Kept dirty (flushOnce restores it): the next schedule retries.
          this.logger.warn(`change-feed flush failed, retrying: ${(error as Error).message}`);
          setTimeout(() => this.afterFlush(), Math.min(1_000, this.options.coalesceMs * 4)).unref?.();
        },
      );
    }, wait);
  }

  private afterFlush(): void {
    if (this.dirty.size > 0 || this.pending.size > 0) this.schedule();
  }

  private async flushOnce(): Promise<void> {
    const dirty = this.dirty;
    const pending = this.pending;
    this.dirty = new Map();
    this.pending = new Map();
    this.urgent = false;
    this.lastFlushAt = this.clock();
    try {
      const ids = [...dirty.keys()];
      const states = await this.repository.readStreams(ids);
      const now = this.clock();
      const messages: OutboundMessage[] = [];
      const sent: [string, string, boolean][] = [];
      states.forEach((state, i) => {
        if (!state) return;
        const snapshot = buildSnapshot(state, this.eventTime.get(dirty.get(ids[i]) ?? -1) ?? 0, now);
        if (!snapshot) return;
        const fingerprint = materialFingerprint(snapshot);
        if (this.published.get(snapshot.streamId) === fingerprint) return;
        sent.push([snapshot.streamId, fingerprint, snapshot.live]);
        messages.push({ key: snapshot.streamId, value: JSON.stringify(snapshot) });
      });
      if (messages.length > 0) await sendChunked(this.producer, this.options.metricsTopic, messages);
      for (const [id, fingerprint, live] of sent) {
        if (live) this.published.set(id, fingerprint);
        else this.published.delete(id);
      }
      const watermarks: Watermark[] = [...pending].map(([partition, eventTime]) => ({
        topic: this.options.enrichedTopic,
        partition,
        eventTime,
        updatedAt: now,
      }));
      await this.repository.writeWatermarks(watermarks);
      if (watermarks.length > 0) {
        await sendChunked(
          this.producer,
          this.options.watermarksTopic,
          watermarks.map((w) => ({
            key: `${this.options.source}:${w.topic}:${w.partition}`,
            value: JSON.stringify({ source: this.options.source, ...w }),
          })),
        );
      }
    } catch (error) {
      for (const [id, partition] of dirty) if (!this.dirty.has(id)) this.dirty.set(id, partition);
      for (const [partition, t] of pending)
        this.pending.set(partition, Math.max(this.pending.get(partition) ?? 0, t));
      throw error;
    }
  }
}
