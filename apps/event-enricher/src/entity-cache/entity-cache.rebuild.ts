import { InvalidMessageError, NowcastEvent, STREAM_LIFECYCLE_EVENT_TYPES, parseEvent } from '@app/contracts';
import { KafkaConnectionOptions } from '@app/kafka';
import { EnricherStateRepository } from '../enricher-state/enricher-state.repository';
import { EnrichmentService, streamIdOf } from '../enrichment/enrichment.service';
import { readTopicToEnd } from '../runtime/topic-to-end.reader';

export interface RebuildOptions extends KafkaConnectionOptions {
  rawTopic: string;
  maxEventBytes: number;
}

export interface RebuildResult {
  messages: number;
  applied: number;
  skippedPoison: number;
}

const STATE_TYPES: ReadonlySet<string> = new Set([
  ...STREAM_LIFECYCLE_EVENT_TYPES,
  'seller.followed',
  'seller.unfollowed',
  'user.erased',
]);

/**
 * Rebuilds the entity cache (stream contexts, follow sets) after Redis lost it, by replaying the
 * raw topic from the beginning (as far back as its retention goes, 7 days by default) through the
 * same state transitions the enricher applies, partition batch by partition batch, in order.
 * Only the entity cache: dedupe marks cannot be rebuilt (the raw topic holds the duplicates too, and
 * nothing says which copy was first in which window), so until the window has passed again a
 * client retry of an event sent before the loss is NOT recognised and is enriched twice; the
 * aggregates downstream then count it twice. Idempotent: running it again gives the same state.
 */
export async function rebuildEntityCache(
  options: RebuildOptions,
  state: EnricherStateRepository,
  enrichment: EnrichmentService = new EnrichmentService(),
): Promise<RebuildResult> {
  const result: RebuildResult = { messages: 0, applied: 0, skippedPoison: 0 };
  await readTopicToEnd({ ...options, topic: options.rawTopic }, async (_partition, messages) => {
    result.messages += messages.length;
    const events: NowcastEvent[] = [];
    for (const message of messages) {
      try {
        // history is replayed long after it happened: no occurredAt window here
        const event = parseEvent(message.value, {
          maxBytes: options.maxEventBytes,
          maxPastMs: Infinity,
          maxFutureMs: Infinity,
        });
        if (STATE_TYPES.has(event.type)) events.push(event);
      } catch (error) {
        if (!(error instanceof InvalidMessageError)) throw error;
        result.skippedPoison++;
      }
    }
    if (events.length === 0) return;
    const streamIds = [...new Set(events.map(streamIdOf).filter((id): id is string => id !== undefined))];
    const snapshot = await state.claimAndLookup({ claims: [], streamIds, userIds: [], dedupeWindowSec: 1 });
    const { writes } = enrichment.enrichBatch(events, snapshot, Date.now());
    await state.apply(writes);
    result.applied += events.length;
  });
  return result;
}
