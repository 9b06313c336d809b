import { InvalidMessageError, NowcastEvent, parseEnrichedEvent } from '@app/contracts';
import { ContentEmbeddingProvider, StreamContent } from '@app/embeddings';
import { EventProducer, KafkaBatch, KafkaInboundMessage } from '@app/kafka';
import { formatTraceparent } from '@app/observability';
import { Logger } from '@nestjs/common';
import { StreamContentTracker } from '../content-embedding/stream-content.tracker';
import { EmbeddingChanges, EmbeddingModelService } from '../embedding-model/embedding-model.service';
import { EmbeddingPublisher } from '../publishing/embedding.publisher';
import { WatermarkRecord } from '../publishing/watermark.record';
import { TracedEvent, isLifecycle, logTracedEvents, sampledChild } from './event-trace';

export interface EmbeddingWriterServiceOptions {
  serviceName: string;
  /** Non-lifecycle updates are flushed at most this often, ms. */
  coalesceMs: number;
  deadLetterTopic: string;
  consumerGroup: string;
  /**
   * Wait for a batch's lifecycle changes to be published before the batch completes (and its
   * offsets commit). Needed when resuming from committed offsets (EMBEDDING_REBUILD_ON_START=false):
   * otherwise a crash right after the commit could lose a tombstone for good. With rebuilds (the
   * default) every boot replays the topic, so the flush is queued in order without blocking the
   * consumer (default false).
   */
  awaitLifecycleFlush?: boolean;
  /**
   * Stale points (published within publishMinChange of the model) are republished exactly only
   * after no batch arrived for this long, ms. Default max(1000, 10 x coalesceMs). "Nothing pending
   * at this tick" is not idle: under steady load a tick often falls between two batches, and each
   * such settle republished every drifted stream and user (measured at 1,300 events/s after a
   * 5,000 events/s burst: 1.4 stream-vector records per event instead of ~0.05, each an HNSW
   * update in the recommender, whose event loop then blocked feed requests for 1-4 s).
   */
  settleQuietMs?: number;
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
  /** Coalesced updates not republished: the vector moved less than publishMinChange. */
  unchangedSkipped: number;
  /** Records produced to the user topic (coalesced per user over its own interval; tombstones). */
  userRecords: number;
}

/**
 * Applies enriched-event batches to the embedding model and publishes the changed points:
 * lifecycle changes (start/end/removal/expiry, erasure) at the end of their batch (awaited), the
 * rest coalesced per point and flushed every `coalesceMs` in the background (the next batches are
 * applied meanwhile). After each full flush, a watermark per input partition. One flush at a time;
 * a failed flush puts its changes back and fails the next
 * batch (redelivered by the transport; already applied offsets are skipped).
 */
export class EmbeddingWriterService {
  private readonly logger = new Logger(EmbeddingWriterService.name);
  private readonly contents = new StreamContentTracker();
  private readonly progress = new Map<string, PartitionProgress>();
  private lastFullFlushAt = 0;
  /** When the last batch was handled, epoch ms (the settle waits for a quiet period). */
  private lastBatchAt = 0;
  private flushChain: Promise<void> = Promise.resolve();
  /** The full (coalesced) flush running while batches go on being applied, if any. */
  private background: Promise<void> | null = null;
  /** Set when a background flush failed: the next batch retries it first (and fails if it fails). */
  private failedFlush: unknown = null;
  private timer: NodeJS.Timeout | null = null;
  readonly stats: WriterStats = {
    events: 0,
    invalid: 0,
    flushes: 0,
    streamsPublished: 0,
    usersPublished: 0,
    unchangedSkipped: 0,
    userRecords: 0,
  };

  constructor(
    readonly model: EmbeddingModelService,
    private readonly content: ContentEmbeddingProvider,
    private readonly publisher: EmbeddingPublisher,
    private readonly producer: EventProducer,
    private readonly options: EmbeddingWriterServiceOptions,
  ) {}

  /** Starts the coalescing timer (flushes what waits even when no batch arrives). */
  start(): void {
    // without coalescing, the timer still sends the user topic's buffered records when idle
    const tickMs = this.options.coalesceMs > 0 ? this.options.coalesceMs : this.publisher.userTopicIntervalMs;
    if (this.timer || tickMs <= 0) return;
    this.timer = setInterval(() => {
      if (this.model.pending === 0 && !this.watermarksBehind() && !this.publisher.userTopicDue()) {
        // idle: publish the exact vectors of the points left within publishMinChange
        if (this.model.stale === 0 || this.background || !this.quiet()) return;
        this.model.settle();
      }
      this.flushInBackground();
    }, tickMs);
    this.timer.unref();
  }

  /** No batch for the settle's quiet period. */
  private quiet(): boolean {
    const quietMs = this.options.settleQuietMs ?? Math.max(1_000, 10 * this.options.coalesceMs);
    return Date.now() - this.lastBatchAt >= quietMs;
  }

  /** Stops the timer and flushes everything left (the user topic's buffered records included). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush(true, true);
  }

  async handleBatch(batch: KafkaBatch): Promise<void> {
    // backpressure: while publishing fails, no more events are applied (this batch fails and is
    // redelivered with the transport's backoff)
    if (this.failedFlush !== null) await this.flush(true);
    this.lastBatchAt = Date.now();
    const progress = this.progressOf(batch.topic, batch.partition);
    const messages = batch.messages;
    // a redelivered batch starts with offsets already applied: skip them (offsets only grow)
    let first = 0;
    while (first < messages.length && BigInt(messages[first].offset) <= progress.appliedOffset) first++;
    const events: NowcastEvent[] = [];
    /** Index in `messages` of each event (its offset, once applied). */
    const at: number[] = [];
    const traces: (TracedEvent | undefined)[] = [];
    const poison: { message: KafkaInboundMessage; error: InvalidMessageError }[] = [];
    let traced = false;
    for (let m = first; m < messages.length; m++) {
      const message = messages[m];
      let event: NowcastEvent;
      try {
        event = parseEnrichedEvent(message.value);
      } catch (error) {
        if (!(error instanceof InvalidMessageError)) throw error;
        poison.push({ message, error });
        this.stats.invalid++;
        continue;
      }
      events.push(event);
      at.push(m);
      // only sampled traces cost anything (no parse, no log line for the others)
      const trace = message.headers.traceparent === undefined ? undefined : sampledChild(message);
      traces.push(trace);
      if (trace) traced = true;
    }
    if (poison.length > 0) await this.deadLetter(batch, poison);
    // content vectors first (the provider may be remote): one call per batch
    const toEmbed: StreamContent[] = [];
    const contentIndex: number[] = [];
    for (const event of events) {
      const content = this.contents.contentFor(event);
      contentIndex.push(
        content && EmbeddingModelService.needsContent(event) ? toEmbed.push(content) - 1 : -1,
      );
    }
    const vectors = toEmbed.length > 0 ? await this.content.embed(toEmbed) : [];
    let eventTime = progress.appliedEventTime;
    let applied = 0;
    try {
      for (; applied < events.length; applied++) {
        const event = events[applied];
        const trace = traces[applied];
        this.model.apply(
          event,
          contentIndex[applied] >= 0 ? vectors[contentIndex[applied]] : undefined,
          trace && isLifecycle(event.type) ? formatTraceparent(trace.context) : undefined,
        );
        if (event.occurredAt > eventTime) eventTime = event.occurredAt;
      }
    } finally {
      // what was applied is never applied twice on redelivery (a throw mid-batch is a bug guard)
      progress.appliedEventTime = eventTime;
      const upTo = applied === events.length ? messages.length - 1 : at[applied] - 1;
      if (upTo >= 0 && BigInt(messages[upTo].offset) > progress.appliedOffset)
        progress.appliedOffset = BigInt(messages[upTo].offset);
      this.stats.events += applied;
    }
    if (traced) logTracedEvents(this.logger, batch, events, traces);
    // lifecycle changes go out now, behind any flush in progress (one flush at a time keeps the
    // order of a point's records); a failure is retried before the next batch
    if (this.model.hasUrgent) {
      const urgent = this.flush(false);
      if (this.options.awaitLifecycleFlush) await urgent;
      else void this.watch(urgent);
    }
    if (Date.now() - this.lastFullFlushAt >= this.options.coalesceMs) this.flushInBackground();
  }

  /**
   * Starts a full flush without waiting for it: the next batches are applied while it encodes and
   * waits for Kafka and Redis (one at a time: a flush due while one runs is left to the timer or
   * the next batch). A failure requeues its points and makes the next batch retry first.
   */
  private flushInBackground(): void {
    if (this.background) return;
    this.background = this.watch(this.flush(true)).finally(() => {
      this.background = null;
    });
  }

  /** A flush nobody awaits: its failure (points already requeued) makes the next batch retry first. */
  private watch(flush: Promise<void>): Promise<void> {
    return flush.catch((error: unknown) => {
      this.failedFlush = error;
      this.logger.warn(`flush failed, retried before the next batch: ${(error as Error).message}`);
    });
  }

  /**
   * Publishes the pending changes (all, or only the urgent ones), then the watermarks after a full
   * flush. `userTopic` = also send every buffered user-topic record now (shutdown, tests).
   */
  flush(all: boolean, userTopic = false): Promise<void> {
    const run = this.flushChain.then(() => this.flushNow(all, userTopic));
    this.flushChain = run.catch(() => undefined);
    return run;
  }

  private async flushNow(all: boolean, userTopic: boolean): Promise<void> {
    const startedAt = Date.now();
    const snapshot = [...this.progress.values()].map((p) => ({
      p,
      eventTime: p.appliedEventTime,
      offset: p.appliedOffset,
    }));
    const changes = this.model.drain(all);
    this.stats.unchangedSkipped = this.model.unchangedSkipped;
    const eventTime = snapshot.reduce((max, s) => Math.max(max, s.eventTime), 0);
    if (
      changes.streams.length + changes.users.length > 0 ||
      this.publisher.userTopicDue(startedAt, userTopic)
    ) {
      try {
        this.stats.userRecords += await this.publisher.publish(changes, eventTime, startedAt, userTopic);
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
    this.failedFlush = null;
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
    poison: { message: KafkaInboundMessage; error: InvalidMessageError }[],
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
