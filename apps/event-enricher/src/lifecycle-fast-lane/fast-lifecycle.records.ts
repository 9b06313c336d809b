import type { ParseEventOptions } from '@app/contracts';
import type { KafkaInboundMessage, OutboundMessage } from '@app/kafka';
import type { StreamContextRecord } from '../entity-cache/stream-context.record';
import { toLifecycleRecord } from '../enrichment/enrich-batch.service';
import { lifecycleRecordOf } from '../enrichment/enrichment.service';
import { routeMessages } from '../enrichment/message-routing';

/**
 * Every stream event type starts with it, in the JSON of any message that may be one: the other
 * ~99.9 % of the raw topic are passed over without a JSON parse. A type written with escapes
 * (`"stream\u002estarted"`) is missed here and left to the transaction round, which decides anyway.
 */
const STREAM_TYPE_MARK = Buffer.from('"stream.');

/** The fast lane knows no stream state: its ends do not name the run they end. */
const NO_STREAM_STATE: ReadonlyMap<string, StreamContextRecord> = new Map();

/**
 * The lifecycle records of a raw batch's valid starts, ends and removals, exactly as the
 * enricher's transaction round writes them (its `routeMessages`, limits and record), except that an
 * end carries no `startedAt` and duplicates are not dropped: both are harmless to the feed's gate,
 * which keeps the round's records as the truth. Invalid messages are skipped (the round
 * dead-letters them).
 */
export function fastLifecycleRecords(
  messages: readonly Pick<KafkaInboundMessage, 'value'>[],
  parseOptions: () => ParseEventOptions,
): OutboundMessage[] {
  const candidates = messages.filter(({ value }) => value !== null && value.indexOf(STREAM_TYPE_MARK) >= 0);
  if (candidates.length === 0) return [];
  const records: OutboundMessage[] = [];
  for (const { event } of routeMessages(candidates, parseOptions()).valid) {
    const record = lifecycleRecordOf(event, NO_STREAM_STATE);
    if (record !== undefined) records.push(toLifecycleRecord(record));
  }
  return records;
}
