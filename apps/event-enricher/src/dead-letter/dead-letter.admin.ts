import { BatchingProducer, KafkaConnectionOptions, KafkaInboundMessage, OutboundMessage } from '@app/kafka';
import { readTopicToEnd } from '../runtime/topic-to-end.reader';
import { DEAD_LETTER_HEADERS, isDeadLetterHeader } from './dead-letter.headers';

/** One dead letter as `npm run dlq -- list` shows it. */
export interface DeadLetterEntry {
  partition: number;
  offset: string;
  key: string | null;
  /** The event type if the value is JSON with a string `type`, else null. */
  type: string | null;
  errorClass: string;
  reason: string;
  message: string;
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: string;
  consumerGroup: string;
  failedAt: string;
  bytes: number;
}

/** Which dead letters to list or redrive; every given field must match. */
export interface DeadLetterFilter {
  /** Only those that failed at or after this, epoch ms. */
  sinceMs?: number;
  type?: string;
  reason?: string;
  errorClass?: string;
  /** Only these DLQ offsets. */
  offsets?: readonly string[];
}

export interface DeadLetterToolOptions extends KafkaConnectionOptions {
  deadLetterTopic: string;
}

/** `reason=too-large,type=view.started,offset=3|9,class=InvalidMessageError` -> a filter. */
export function parseDeadLetterFilter(
  text: string | undefined,
  base: DeadLetterFilter = {},
): DeadLetterFilter {
  const filter: DeadLetterFilter = { ...base };
  if (!text) return filter;
  for (const part of text.split(',')) {
    const [name, value] = part.split('=').map((s) => s.trim());
    if (!name || value === undefined || value === '')
      throw new Error(`bad filter term "${part}" (want name=value)`);
    if (name === 'reason') filter.reason = value;
    else if (name === 'type') filter.type = value;
    else if (name === 'class') filter.errorClass = value;
    else if (name === 'offset') filter.offsets = value.split('|');
    else if (name === 'since') filter.sinceMs = parseSince(value);
    else throw new Error(`unknown filter "${name}" (reason, type, class, offset, since)`);
  }
  return filter;
}

/** An ISO time, epoch ms, or a duration back from now: `30m`, `2h`, `7d`. */
export function parseSince(value: string, nowMs: number = Date.now()): number {
  const duration = /^(\d+)([smhd])$/.exec(value);
  if (duration) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[duration[2] as 's' | 'm' | 'h' | 'd'];
    return nowMs - Number(duration[1]) * unit;
  }
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`--since "${value}" is neither a time nor a duration like 2h`);
  return ms;
}

export function toDeadLetterEntry(partition: number, message: KafkaInboundMessage): DeadLetterEntry {
  const h = message.headers;
  return {
    partition,
    offset: message.offset,
    key: message.key?.toString('utf8') ?? null,
    type: typeOf(message.value),
    errorClass: h[DEAD_LETTER_HEADERS.errorClass] ?? '',
    reason: h[DEAD_LETTER_HEADERS.reason] ?? '',
    message: h[DEAD_LETTER_HEADERS.message] ?? '',
    sourceTopic: h[DEAD_LETTER_HEADERS.sourceTopic] ?? '',
    sourcePartition: Number(h[DEAD_LETTER_HEADERS.sourcePartition] ?? -1),
    sourceOffset: h[DEAD_LETTER_HEADERS.sourceOffset] ?? '',
    consumerGroup: h[DEAD_LETTER_HEADERS.consumerGroup] ?? '',
    failedAt: h[DEAD_LETTER_HEADERS.failedAt] ?? '',
    bytes: message.value?.length ?? 0,
  };
}

export function matchesFilter(entry: DeadLetterEntry, filter: DeadLetterFilter): boolean {
  if (filter.sinceMs !== undefined && !(Date.parse(entry.failedAt) >= filter.sinceMs)) return false;
  if (filter.type !== undefined && entry.type !== filter.type) return false;
  if (filter.reason !== undefined && entry.reason !== filter.reason) return false;
  if (filter.errorClass !== undefined && entry.errorClass !== filter.errorClass) return false;
  if (filter.offsets !== undefined && !filter.offsets.includes(entry.offset)) return false;
  return true;
}

/** Reads the whole dead-letter topic (throwaway group) and returns the matching entries. */
export async function listDeadLetters(
  options: DeadLetterToolOptions,
  filter: DeadLetterFilter = {},
): Promise<DeadLetterEntry[]> {
  const entries: DeadLetterEntry[] = [];
  await readTopicToEnd({ ...options, topic: options.deadLetterTopic }, (partition, messages) => {
    for (const message of messages) {
      const entry = toDeadLetterEntry(partition, message);
      if (matchesFilter(entry, filter)) entries.push(entry);
    }
  });
  return entries;
}

/**
 * Sends the matching dead letters' ORIGINAL key and bytes (and original headers, without the
 * x-error/x-source ones) back to `targetTopic` (by default the source topic each came from), acks = all.
 * The redriven copies are new records: the enricher validates them again, and if they still fail
 * they are dead-lettered again. Returns how many were sent.
 */
export async function redriveDeadLetters(
  options: DeadLetterToolOptions & { targetTopic?: string },
  filter: DeadLetterFilter,
): Promise<DeadLetterEntry[]> {
  const chosen: { entry: DeadLetterEntry; record: OutboundMessage }[] = [];
  await readTopicToEnd({ ...options, topic: options.deadLetterTopic }, (partition, messages) => {
    for (const message of messages) {
      const entry = toDeadLetterEntry(partition, message);
      if (!matchesFilter(entry, filter)) continue;
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(message.headers)) {
        if (value !== undefined && !isDeadLetterHeader(name)) headers[name] = value;
      }
      chosen.push({ entry, record: { key: message.key, value: message.value, headers } });
    }
  });
  if (chosen.length === 0) return [];
  const producer = new BatchingProducer(options);
  try {
    const byTopic = new Map<string, OutboundMessage[]>();
    for (const { entry, record } of chosen) {
      const topic = options.targetTopic ?? entry.sourceTopic;
      if (!topic)
        throw new Error(`dead letter at offset ${entry.offset} has no ${DEAD_LETTER_HEADERS.sourceTopic}`);
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), record]);
    }
    await Promise.all([...byTopic].map(([topic, records]) => producer.send(topic, records)));
  } finally {
    await producer.close();
  }
  return chosen.map(({ entry }) => entry);
}

function typeOf(value: Buffer | null): string | null {
  if (value === null || value.length > 1024 * 1024) return null;
  try {
    const parsed = JSON.parse(value.toString('utf8')) as unknown;
    if (typeof parsed === 'object' && parsed !== null && 'type' in parsed && typeof parsed.type === 'string')
      return parsed.type.slice(0, 64);
  } catch {
    // not JSON: no type
  }
  return null;
}
