import { InjectConfig } from '@app/config';
import { Enrichment, NowcastEvent, ParseEventOptions, partitionKeyOf } from '@app/contracts';
import { KafkaBatch, OutboundMessage, requireTransaction } from '@app/kafka';
import { PipelineMetrics, parseTraceparent } from '@app/observability';
import { Inject, Injectable } from '@nestjs/common';
import { deadLetterRecord } from '../dead-letter/dead-letter.record';
import { decideDedupe, dedupeMark } from '../dedupe/dedupe.decision';
import {
  ENRICHER_STATE_REPOSITORY,
  EnricherStateRepository,
} from '../enricher-state/enricher-state.repository';
import type { EnricherFeatureConfig } from '../runtime/enricher-feature.config';
import { EnrichmentService, streamIdOf, userIdOf } from './enrichment.service';
import { ValidMessage, routeMessages } from './message-routing';

/** Messages per send into the batch's transaction (also the consumer's maxBufferedMessages). */
export const TRANSACTION_CHUNK_MESSAGES = 200;

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
    const { valid, poison } = routeMessages(batch.messages, this.parseOptions(nowMs));

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

    const snapshot = await this.state.claimAndLookup({
      claims: valid.map(({ message, event }) => ({
        eventId: event.eventId,
        mark: dedupeMark(batch.partition, message.offset),
      })),
      ...lookupKeys(valid),
      dedupeWindowSec: enricher.dedupeWindowSec,
    });
    const fresh: ValidMessage[] = [];
    const duplicatesByType = new Map<string, number>();
    valid.forEach((item, i) => {
      const decision = decideDedupe(
        snapshot.previousMarks[i],
        dedupeMark(batch.partition, item.message.offset),
      );
      if (decision === 'duplicate') increment(duplicatesByType, item.event.type);
      else fresh.push(item);
    });

    const { enrichments, writes } = this.enrichment.enrichBatch(
      fresh.map(({ event }) => event),
      snapshot,
      nowMs,
    );
    const records = fresh.map(({ event, message }, i) =>
      toEnrichedRecord(event, enrichments[i], message.headers.traceparent),
    );
    // In chunks: the transport sends a chunk into the open transaction once TRANSACTION_CHUNK_MESSAGES
    // are buffered (overlapping the Redis writes below), and kafkajs groups a send's messages per
    // partition in O(n^2) (groupMessagesPerPartition copies the array per message).
    for (let i = 0; i < records.length; i += TRANSACTION_CHUNK_MESSAGES) {
      transaction.send(topics.names.enriched, records.slice(i, i + TRANSACTION_CHUNK_MESSAGES));
    }
    await this.state.apply(writes);
    this.record(valid, fresh, duplicatesByType);
    return {
      enriched: records.length,
      duplicates: valid.length - fresh.length,
      deadLettered: poison.length,
    };
  }

  private parseOptions(nowMs: number): ParseEventOptions {
    const { enricher } = this.config;
    return {
      nowMs,
      maxBytes: enricher.maxEventBytes,
      maxFutureMs: enricher.maxFutureMs,
      maxPastMs: enricher.maxPastMs,
    };
  }

  /** Counted per batch and type, not per event (prom-client label lookups are not free). */
  private record(valid: ValidMessage[], fresh: ValidMessage[], duplicates: Map<string, number>): void {
    const consumed = new Map<string, number>();
    for (const { event } of valid) increment(consumed, event.type);
    const produced = new Map<string, number>();
    for (const { event } of fresh) increment(produced, event.type);
    for (const [type, n] of consumed) this.metrics.consumed.inc({ type }, n);
    for (const [type, n] of produced) this.metrics.produced.inc({ type }, n);
    for (const [type, n] of duplicates) this.metrics.deduplicated.inc({ type }, n);
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
 * dropped: they may carry data we must not pass on) with `enrichment` appended, spliced as text to
 * save an object copy per event. A valid traceparent is passed on.
 */
export function toEnrichedRecord(
  event: NowcastEvent,
  enrichment: Enrichment,
  traceparent: string | undefined,
): OutboundMessage {
  const json = JSON.stringify(event);
  const value = `${json.slice(0, -1)},"enrichment":${JSON.stringify(enrichment)}}`;
  const record: OutboundMessage = { key: partitionKeyOf(event), value };
  if (traceparent !== undefined && parseTraceparent(traceparent)) record.headers = { traceparent };
  return record;
}
