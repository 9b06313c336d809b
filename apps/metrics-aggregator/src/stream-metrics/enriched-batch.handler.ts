import { EnrichedEvent, InvalidMessageError, parseEnrichedEvent } from '@app/contracts';
import { EventProducer, KafkaBatch, OutboundMessage } from '@app/kafka';
import {
  TraceContext,
  childTraceContext,
  formatTraceparent,
  parseTraceparent,
  traceLogFields,
} from '@app/observability';
import { Logger } from '@nestjs/common';
import { AggregatorTopics } from '../aggregation/aggregator-topics';
import { BatchApplier } from '../aggregation/batch-applier';
import { OffsetEvent } from '../aggregation/batch-fold.service';
import { BatchUpdate } from '../aggregation/batch-update';
import { ChangeFeedPublisher } from '../change-feed/change-feed.publisher';
import { PendingRecovery } from '../change-feed/pending-recovery';
import { AggregateStateRepository } from '../state/aggregate-state.repository';
import { deadLetterRecord } from './dead-letter.record';
import { sendChunked } from '../aggregation/send-chunked';

export interface EnrichedBatchHandlerOptions {
  topics: AggregatorTopics;
  groupId: string;
  /** Most events folded into one apply (one Lua call); default APPLY_MAX_EVENTS. */
  applyMaxEvents?: number;
}

/**
 * Events per apply call. Redis runs a script to the end before any other client's command: at
 * 5,000 events/s one script per Kafka batch (1-5k events) held Redis for 34-214 ms, and the
 * enricher's dedupe and the recommender's reads waited behind it. A larger batch is therefore
 * applied as consecutive chunks, each atomic with the partition offset like a batch of its own (a
 * redelivery skips the chunks already applied). Each chunk repeats the per-stream work (read,
 * decay, trending) for the streams it touches, so smaller is not free. Measured (30k simulator
 * events, Kafka batches of 2,000, own Redis; Redis CPU us/event and script time p50 per call):
 * one call 48.6 us / 111 ms, 1,024: 57.6 / 63 ms, 512: 60.1 / 34 ms, 256: 76.8 / 23 ms,
 * 128: 103.5 / 16 ms. In the mesh at 5,000 events/s (a saturated machine, batches of ~300-2,400
 * events) 512 and 1,024 left the aggregator further behind in 4 of 4 runs (max lag 4-8 s vs 2 s)
 * without shortening the longest calls measurably. So only catch-up batches are split: ~100 ms at
 * most per call on an idle Redis; below 2,048 events nothing changes.
 */
export const APPLY_MAX_EVENTS = 2_048;

interface TracedEvent {
  offset: string;
  event: EnrichedEvent;
  parent: TraceContext;
}

/** Event types whose change-feed record goes out at once (and carries their trace). */
const LIFECYCLE: ReadonlySet<string> = new Set([
  'stream.started',
  'stream.updated',
  'stream.ended',
  'stream.removed',
  'stream.expired',
]);

/** Counts the handler reports (PipelineMetrics when running in Nest; optional elsewhere). */
export interface AggregatorCounters {
  consumed(type: string, n: number): void;
  deadLettered(type: string, reason: string): void;
  late(n: number): void;
  duplicateBatch(): void;
}

/**
 * One enriched-topic batch, chunk by chunk (at most applyMaxEvents each): parse (poison -> dead
 * letters first), fold + apply atomically with the partition offset, then mark the touched streams
 * for the change feed. A chunk's follow-state records are produced BEFORE its apply (idempotent per
 * key, re-produced in order on redelivery), so a crash between the two can never lose them; dead
 * letters likewise.
 */
export class EnrichedBatchHandler {
  private readonly logger = new Logger(EnrichedBatchHandler.name);
  private readonly recovery: PendingRecovery;

  constructor(
    private readonly applier: BatchApplier,
    private readonly repository: AggregateStateRepository,
    private readonly producer: EventProducer,
    private readonly changeFeed: ChangeFeedPublisher,
    private readonly options: EnrichedBatchHandlerOptions,
    private readonly counters?: AggregatorCounters,
    private readonly clock: () => number = Date.now,
  ) {
    this.recovery = new PendingRecovery(repository, changeFeed, options.topics.enriched);
  }

  /**
   * The consumer (re)joined its group and owns these partitions of the enriched topic: their
   * streams whose change-feed records were never acked are published again (PendingRecovery).
   */
  partitionsAssigned(partitions: number[]): Promise<void> {
    return this.recovery.assigned(partitions);
  }

  async handle(batch: KafkaBatch): Promise<void> {
    // normally done at the join already (then a Map lookup); a failure fails the batch (retried)
    if (batch.topic === this.options.topics.enriched) await this.recovery.ensure(batch.partition);
    // as few calls as the bound allows, of equal size (3,000 events: 2 x 1,500, not 2,048 + 952).
    // Each chunk is parsed just before its fold, not the whole batch first: the partitions'
    // batches are handled concurrently, and a partition parsing its ~20,000 events in one go
    // blocked the event loop while Redis ran out of queued script calls; chunk by chunk, one
    // partition's parse and fold overlap the others' calls.
    const messages = batch.messages;
    const max = Math.max(1, this.options.applyMaxEvents ?? APPLY_MAX_EVENTS);
    const chunk = Math.ceil(messages.length / Math.ceil(messages.length / max));
    for (let start = 0; start < messages.length; start += chunk) {
      await this.handleChunk(
        batch,
        messages.length <= chunk ? messages : messages.slice(start, start + chunk),
      );
    }
  }

  /**
   * Parses one chunk (poison -> dead letters, produced before the chunk is applied, as are its
   * follow-state records), then folds and applies it atomically with the partition offset.
   */
  private async handleChunk(batch: KafkaBatch, messages: KafkaBatch['messages']): Promise<void> {
    const events: OffsetEvent[] = [];
    const deadLetters: OutboundMessage[] = [];
    const traced: TracedEvent[] = [];
    for (const message of messages) {
      try {
        const event = parseEnrichedEvent(message.value);
        events.push({ offset: message.offset, event });
        // only sampled traces cost anything: no per-event work for the rest
        const header = message.headers.traceparent;
        if (header !== undefined) {
          const parent = parseTraceparent(header);
          if (parent && (parent.flags & 1) === 1) traced.push({ offset: message.offset, event, parent });
        }
      } catch (error) {
        if (!(error instanceof InvalidMessageError)) throw error;
        deadLetters.push(
          deadLetterRecord(
            message,
            error,
            { topic: batch.topic, partition: batch.partition, groupId: this.options.groupId },
            this.clock(),
          ),
        );
        this.counters?.deadLettered('unknown', error.reason);
      }
    }
    if (deadLetters.length > 0) await sendChunked(this.producer, this.options.topics.deadLetter, deadLetters);
    await this.produceFollowState(events);
    // The offset guard needs the chunk's last offset even when its tail was poison.
    const last = messages[messages.length - 1];
    if (events.length === 0 || events[events.length - 1].offset !== last.offset) {
      events.push({ offset: last.offset, event: null });
    }
    await this.applyChunk(batch, events, traced);
  }

  /** Folds and applies one chunk of the batch (offset order), then marks its streams for the change feed. */
  private async applyChunk(batch: KafkaBatch, events: OffsetEvent[], traced: TracedEvent[]): Promise<void> {
    const { update, outcome } = await this.applier.apply(batch.topic, batch.partition, events);
    const applied = update !== null && outcome?.status === 'applied';
    const urgent = new Map<string, string | undefined>();
    if (applied) for (const s of update.streams) if (s.life.length > 0) urgent.set(s.id, undefined);
    for (const t of traced) this.logTraced(batch, t, applied, urgent);
    if (!applied) {
      this.counters?.duplicateBatch();
      return;
    }
    this.count(events, update);
    this.changeFeed.markApplied({
      partition: batch.partition,
      lastOffset: update.lastOffset,
      streamIds: update.streams.map((s) => s.id),
      eventTime: update.maxEventTime,
      urgent,
    });
  }

  /**
   * One line per sampled event, with this hop's span (a child of the event's); a lifecycle event
   * forwards that span as the traceparent of the change-feed record it causes (the last one wins).
   */
  private logTraced(
    batch: KafkaBatch,
    { offset, event, parent }: TracedEvent,
    applied: boolean,
    urgent: Map<string, string | undefined>,
  ): void {
    const span = childTraceContext(parent);
    this.logger.log({
      msg: applied ? 'enriched event applied' : 'enriched event already applied',
      ...traceLogFields(span),
      parentSpanId: parent.spanId,
      eventId: event.eventId,
      type: event.type,
      topic: batch.topic,
      partition: batch.partition,
      offset,
    });
    if (LIFECYCLE.has(event.type) && 'streamId' in event.data && urgent.has(event.data.streamId)) {
      urgent.set(event.data.streamId, formatTraceparent(span));
    }
  }

  private count(events: OffsetEvent[], update: BatchUpdate): void {
    if (!this.counters) return;
    const byType = new Map<string, number>();
    for (const { event } of events) if (event) byType.set(event.type, (byType.get(event.type) ?? 0) + 1);
    for (const [type, n] of byType) this.counters.consumed(type, n);
    if (update.lateEvents > 0) this.counters.late(update.lateEvents);
  }

  /** seller.followed/unfollowed -> compacted follows topic; user.erased -> tombstones of its follows. */
  private async produceFollowState(events: OffsetEvent[]): Promise<void> {
    const records: OutboundMessage[] = [];
    const followedHere = new Map<string, Set<string>>();
    for (const { event } of events) {
      if (!event) continue;
      if (event.type === 'seller.followed' || event.type === 'seller.unfollowed') {
        const { userId, sellerId } = event.data;
        let set = followedHere.get(userId);
        if (!set) followedHere.set(userId, (set = new Set()));
        set.add(sellerId);
        records.push({
          key: `${userId}:${sellerId}`,
          value:
            event.type === 'seller.followed'
              ? JSON.stringify({ userId, sellerId, followedAt: event.occurredAt })
              : null,
        });
      } else if (event.type === 'user.erased') {
        const { follows } = await this.repository.readUser(event.data.userId);
        const all = new Set([...follows, ...(followedHere.get(event.data.userId) ?? [])]);
        followedHere.delete(event.data.userId);
        for (const sellerId of all) records.push({ key: `${event.data.userId}:${sellerId}`, value: null });
      }
    }
    if (records.length > 0) await sendChunked(this.producer, this.options.topics.stateFollows, records);
  }
}
