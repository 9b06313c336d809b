import { EnrichedEvent, InvalidMessageError, parseEnrichedEvent } from '@app/contracts';
import { EventProducer, KafkaBatch } from '@app/kafka';
import { Logger } from '@nestjs/common';
import { ContentEmbeddingProvider, StreamContent } from '@app/embeddings';
import { StreamContentTracker } from '../content-embedding/stream-content.tracker';
import { EmbeddingChanges, EmbeddingModelService } from '../embedding-model/embedding-model.service';
import { EmbeddingPublisher } from '../publishing/embedding.publisher';
import { WatermarkRecord } from '../publishing/watermark.record';

export interface EmbeddingWriterServiceOptions {
  serviceName: string;
  /** Non-lifecycle updates are flushed at most this often, ms. */
  coalesceMs: number;
  deadLetterTopic: string;
  consumerGroup: string;
}

interface PartitionProgress {
  topic: string;
  partition: number;
  /** Newest applied input offset (events at or below it are not applied twice on redelivery). */
  appliedOffset: bigint;
  /** Max occurredAt applied, epoch ms. */
  appliedEventTime: number;
  /** What the last published watermark said. */
  publishedEventTime: number;
}

export interface WriterStats {
  events: number;
  invalid: number;
  flushes: number;
  streamsPublished: number;
  usersPublished: number;
}

/**
 * Applies enriched-event batches to the embedding model and publishes the changed points:
 * lifecycle changes (start/end/removal/expiry, erasure) at the end of their batch, the rest
 * coalesced per point and flushed every `coalesceMs`. After each full flush, a watermark per
 * input partition. One flush at a time; a failed flush puts its changes back and fails the
 * batch (redelivered by the transport; already applied offsets are skipped).
 */
export class EmbeddingWriterService {
  private readonly logger = new Logger(EmbeddingWriterService.name);
  private readonly contents = new StreamContentTracker();
  private readonly progress = new Map<string, PartitionProgress>();
  private lastFullFlushAt = 0;
  private flushChain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  readonly stats: WriterStats = { events: 0, invalid: 0, flushes: 0, streamsPublished: 0, usersPublished: 0 };

  constructor(
    readonly model: EmbeddingModelService,
    private readonly content: ContentEmbeddingProvider,
    private readonly publisher: EmbeddingPublisher,
    private readonly producer: EventProducer,
    private readonly options: EmbeddingWriterServiceOptions,
  ) {}

  /** Starts the coalescing timer (flushes what waits even when no batch arrives). */
  start(): void {
    if (this.timer || this.options.coalesceMs <= 0) return;
    this.timer = setInterval(() => {
      if (this.model.pending === 0 && !this.watermarksBehind()) return;
      this.flush(true).catch((error: unknown) =>
        this.logger.warn(`coalesced flush failed, retried next tick: ${(error as Error).message}`),
      );
    }, this.options.coalesceMs);
    this.timer.unref();
  }

  /** Stops the timer and flushes everything left. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush(true);
  }

  async handleBatch(batch: KafkaBatch): Promise<void> {
    const progress = this.progressOf(batch.topic, batch.partition);
    const events: { event: EnrichedEvent; offset: bigint }[] = [];
    const poison: { message: KafkaBatch['messages'][number]; error: InvalidMessageError }[] = [];
    for (const message of batch.messages) {
      const offset = BigInt(message.offset);
      if (offset <= progress.appliedOffset) continue;
      try {
        events.push({ event: parseEnrichedEvent(message.value), offset });
      } catch (error) {
        if (!(error instanceof InvalidMessageError)) throw error;
        poison.push({ message, error });
        this.stats.invalid++;
      }
    }
    if (poison.length > 0) await this.deadLetter(batch, poison);
    // content vectors first (the provider may be remote): one call per batch
    const toEmbed: StreamContent[] = [];
    const contentIndex: number[] = [];
    for (const { event } of events) {
      const content = EmbeddingModelService.needsContent(event) ? this.contents.contentFor(event) : undefined;
      if (
        event.type === 'stream.ended' ||
        event.type === 'stream.removed' ||
        event.type === 'stream.expired'
      ) {
        this.contents.contentFor(event);
      }
      contentIndex.push(content ? toEmbed.push(content) - 1 : -1);
    }
    const vectors = toEmbed.length > 0 ? await this.content.embed(toEmbed) : [];
    events.forEach(({ event, offset }, i) => {
      this.model.apply(event, contentIndex[i] >= 0 ? vectors[contentIndex[i]] : undefined);
      progress.appliedOffset = offset;
      progress.appliedEventTime = Math.max(progress.appliedEventTime, event.occurredAt);
    });
    const last = batch.messages.at(-1);
    if (last && BigInt(last.offset) > progress.appliedOffset) progress.appliedOffset = BigInt(last.offset);
    this.stats.events += events.length;
    const full = Date.now() - this.lastFullFlushAt >= this.options.coalesceMs;
    if (full || this.model.hasUrgent) await this.flush(full);
  }

  /** Publishes the pending changes (all, or only the urgent ones), then the watermarks after a full flush. */
  flush(all: boolean): Promise<void> {
    const run = this.flushChain.then(() => this.flushNow(all));
    this.flushChain = run.catch(() => undefined);
    return run;
  }

  private async flushNow(all: boolean): Promise<void> {
    const startedAt = Date.now();
    const snapshot = [...this.progress.values()].map((p) => ({
      p,
      eventTime: p.appliedEventTime,
      offset: p.appliedOffset,
    }));
    const changes = this.model.drain(all);
    const eventTime = snapshot.reduce((max, s) => Math.max(max, s.eventTime), 0);
    if (changes.streams.length + changes.users.length > 0) {
      try {
        await this.publisher.publish(changes, eventTime);
      } catch (error) {
        this.requeue(changes);
        throw error;
      }
      this.stats.flushes++;
      this.stats.streamsPublished += changes.streams.length;
      this.stats.usersPublished += changes.users.length;
    }
    if (!all) return;
    this.lastFullFlushAt = startedAt;
    const watermarks: WatermarkRecord[] = snapshot
      .filter((s) => s.eventTime > s.p.publishedEventTime)
      .map((s) => ({
        service: this.options.serviceName,
        topic: s.p.topic,
        partition: s.p.partition,
        eventTime: s.eventTime,
        offset: (s.offset + 1n).toString(),
        publishedAt: Date.now(),
      }));
    await this.publisher.publishWatermarks(watermarks);
    for (const s of snapshot) s.p.publishedEventTime = Math.max(s.p.publishedEventTime, s.eventTime);
  }

  private requeue(changes: EmbeddingChanges): void {
    this.model.requeue(changes);
  }

  private watermarksBehind(): boolean {
    for (const p of this.progress.values()) if (p.appliedEventTime > p.publishedEventTime) return true;
    return false;
  }

  private progressOf(topic: string, partition: number): PartitionProgress {
    const key = `${topic}:${partition}`;
    let progress = this.progress.get(key);
    if (!progress) {
      progress = { topic, partition, appliedOffset: -1n, appliedEventTime: 0, publishedEventTime: 0 };
      this.progress.set(key, progress);
    }
    return progress;
  }

  private async deadLetter(
    batch: KafkaBatch,
    poison: { message: KafkaBatch['messages'][number]; error: InvalidMessageError }[],
  ): Promise<void> {
    await this.producer.send(
      this.options.deadLetterTopic,
      poison.map(({ message, error }) => ({
        key: message.key,
        value: message.value,
        headers: {
          'x-error-class': error.name,
          'x-error-reason': error.reason,
          'x-error-message': error.message.slice(0, 500),
          'x-source-topic': batch.topic,
          'x-source-partition': String(batch.partition),
          'x-source-offset': message.offset,
          'x-consumer-group': this.options.consumerGroup,
        },
      })),
    );
    this.logger.warn(
      `dead-lettered ${poison.length} invalid message(s) from ${batch.topic}/${batch.partition}`,
    );
  }
}
