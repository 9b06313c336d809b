import { InjectConfig } from '@app/config';
import { Enrichment, NowcastEvent, ParseEventOptions, StreamLifecycle, partitionKeyOf } from '@app/contracts';
import { KafkaBatch, KafkaInboundMessage, OutboundMessage, requireTransaction } from '@app/kafka';
import { PipelineMetrics, traceLogFields } from '@app/observability';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { deadLetterRecord } from '../dead-letter/dead-letter.record';
import { decideDedupe, dedupeMark } from '../dedupe/dedupe.decision';
import {
  ENRICHER_STATE_REPOSITORY,
  EnricherStateRepository,
} from '../enricher-state/enricher-state.repository';
import type { EnricherFeatureConfig } from '../runtime/enricher-feature.config';
import { EnrichmentService, streamIdOf, userIdOf } from './enrichment.service';
import { ValidMessage, routeMessages } from './message-routing';
import { enrichmentJson } from './enrichment.json';
import { propagateTrace } from './trace-propagation';
import type { EnricherSettings } from './enricher.env';

/**
 * Messages per send into the batch's transaction (also the consumer's maxBufferedMessages): bounds
 * the memory of a send; larger sends cost less per message in kafkajs (fewer requests), 1,000
 * ~ 400 KB of enriched records.
 */
export const TRANSACTION_CHUNK_MESSAGES = 1_000;

/** What one batch did (returned for tests and the bench; metrics are recorded too). */
export interface BatchOutcome {
  enriched: number;
  duplicates: number;
  deadLettered: number;
}

/**
 * Read-process-write of one raw partition batch, all inside the batch's Kafka transaction:
 * parse -> dead-letter poison -> one Redis round trip (dedupe marks + entity lookups) -> pure
 * enrichment -> enriched records -> entity-cache writes. The transport commits the transaction
 * with the batch's offsets after this resolves; if anything throws (Redis or broker down), the
 * transaction aborts and the batch is redelivered with backoff: nothing is skipped or
 * dead-lettered because of an outage.
 */
@Injectable()
export class EnrichBatchService {
  private readonly logger = new Logger(EnrichBatchService.name);

  constructor(
    @InjectConfig() private readonly config: EnricherFeatureConfig,
    @Inject(ENRICHER_STATE_REPOSITORY) private readonly state: EnricherStateRepository,
    private readonly enrichment: EnrichmentService,
    private readonly metrics: PipelineMetrics,
  ) {}

  async handle(batch: KafkaBatch): Promise<BatchOutcome> {
    const transaction = requireTransaction(batch);
    const { enricher, topics } = this.config;
    const nowMs = Date.now();
    const { valid, poison } = routeMessages(batch.messages, rawEventParseOptions(enricher, nowMs));

    if (poison.length > 0) {
      const source = { topic: batch.topic, partition: batch.partition, consumerGroup: enricher.groupId };
      transaction.send(
        topics.names.deadLetter,
        poison.map(({ message, error }) => deadLetterRecord(message, error, source, nowMs)),
      );
      for (const { error } of poison)
        this.metrics.deadLettered.inc({ type: 'unknown', reason: error.reason });
    }
    if (valid.length === 0) return { enriched: 0, duplicates: 0, deadLettered: poison.length };

    const claims = new Array<{ eventId: string; mark: string }>(valid.length);
    for (let i = 0; i < valid.length; i++) {
      claims[i] = {
        eventId: valid[i].event.eventId,
        mark: dedupeMark(batch.partition, valid[i].message.offset),
      };
    }
    const snapshot = await this.state.claimAndLookup({
      claims,
      ...lookupKeys(valid),
      dedupeWindowSec: enricher.dedupeWindowSec,
    });
    const fresh: ValidMessage[] = [];
    const freshEvents: NowcastEvent[] = [];
    // Drops this delivery is the first to record (a redelivered batch's were counted already):
    // counted now, when the state recorded them, since a later step may throw and redeliver.
    const newDropsByType = new Map<string, number>();
    for (let i = 0; i < valid.length; i++) {
      const item = valid[i];
      if (decideDedupe(snapshot.previousMarks[i], claims[i].mark) === 'duplicate') {
        if (!snapshot.dropRecorded[i]) increment(newDropsByType, item.event.type);
      } else {
        fresh.push(item);
        freshEvents.push(item.event);
      }
    }

    for (const [type, n] of newDropsByType) this.metrics.deduplicated.inc({ type }, n);

    const { enrichments, writes, lifecycle } = this.enrichment.enrichBatch(freshEvents, snapshot, nowMs);
    // before the enriched records: the feed's live set learns of a start or an end from this small
    // topic, without waiting for the aggregator's metrics
    if (lifecycle.length > 0)
      transaction.send(topics.names.streamLifecycle, lifecycle.map(toLifecycleRecord));
    // In chunks: the transport sends a chunk into the open transaction once TRANSACTION_CHUNK_MESSAGES
    // are buffered, overlapping the Redis writes below.
    for (let start = 0; start < fresh.length; start += TRANSACTION_CHUNK_MESSAGES) {
      const end = Math.min(fresh.length, start + TRANSACTION_CHUNK_MESSAGES);
      const records = new Array<OutboundMessage>(end - start);
      for (let i = start; i < end; i++) {
        const { event, message, json } = fresh[i];
        records[i - start] = toEnrichedRecord(
          event,
          enrichments[i],
          json,
          this.traceparentOf(event, message),
        );
      }
      transaction.send(topics.names.enriched, records);
    }
    await this.state.apply(writes);
    this.record(valid, fresh);
    return {
      enriched: fresh.length,
      duplicates: valid.length - fresh.length,
      deadLettered: poison.length,
    };
  }

  /** The enriched record's traceparent; a sampled trace's span of this hop is logged once (issue 11). */
  private traceparentOf(event: NowcastEvent, message: KafkaInboundMessage): string | undefined {
    const { header, span } = propagateTrace(message.headers.traceparent);
    if (span) {
      this.logger.log({
        msg: 'event enriched',
        eventId: event.eventId,
        type: event.type,
        ...traceLogFields(span.context),
        parentSpanId: span.parentSpanId,
      });
    }
    return header;
  }

  /**
   * Counted per batch and type, not per event (prom-client label lookups are not free). Per
   * delivery: a redelivered batch counts again (unlike deduplicated, counted once per drop).
   */
  private record(valid: ValidMessage[], fresh: ValidMessage[]): void {
    const consumed = new Map<string, number>();
    for (const { event } of valid) increment(consumed, event.type);
    const produced = new Map<string, number>();
    for (const { event } of fresh) increment(produced, event.type);
    for (const [type, n] of consumed) this.metrics.consumed.inc({ type }, n);
    for (const [type, n] of produced) this.metrics.produced.inc({ type }, n);
  }
}

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** Distinct streams to look up, and users whose follow sets matter (engagement events). */
function lookupKeys(valid: readonly ValidMessage[]): { streamIds: string[]; userIds: string[] } {
  const streamIds = new Set<string>();
  const userIds = new Set<string>();
  for (const { event } of valid) {
    const streamId = streamIdOf(event);
    if (streamId === undefined) continue;
    streamIds.add(streamId);
    const userId = userIdOf(event);
    if (userId !== undefined) userIds.add(userId);
  }
  return { streamIds: [...streamIds], userIds: [...userIds] };
}

/**
 * Keyed as the contracts say (same key as raw); the value is the validated event (unknown fields
 * dropped: they may carry data we must not pass on) with `enrichment` appended. When the raw JSON
 * text holds exactly the event (`json`), the enrichment is spliced into that text before its
 * closing brace; otherwise the event is serialised first.
 */
export function toEnrichedRecord(
  event: NowcastEvent,
  enrichment: Enrichment,
  json: string | undefined,
  traceparent: string | undefined,
): OutboundMessage {
  const text = json ?? JSON.stringify(event);
  const value = `${text.slice(0, text.lastIndexOf('}'))},"enrichment":${enrichmentJson(enrichment)}}`;
  const record: OutboundMessage = { key: partitionKeyOf(event), value };
  if (traceparent !== undefined) record.headers = { traceparent };
  return record;
}

/** The raw topic's parser limits, the same for every reader of it in the enricher. */
export function rawEventParseOptions(settings: EnricherSettings, nowMs: number): ParseEventOptions {
  return {
    nowMs,
    maxBytes: settings.maxEventBytes,
    maxFutureMs: settings.maxFutureMs,
    maxPastMs: settings.maxPastMs,
  };
}

/** Keyed by streamId: a stream's starts and ends stay in order on one partition. */
export function toLifecycleRecord(record: StreamLifecycle): OutboundMessage {
  return { key: record.streamId, value: JSON.stringify(record) };
}
