import type { IHeaders, KafkaMessage, Message, TopicOffsets } from 'kafkajs';
import { KafkaInboundMessage, OutboundMessage } from './batch.types';

/** Header bytes to strings; Kafka allows repeated keys (kafkajs gives an array): the last one wins. */
export function decodeHeaders(headers: IHeaders | undefined): Record<string, string | undefined> {
  const decoded: Record<string, string | undefined> = {};
  if (!headers) return decoded;
  // for-in, not Object.entries: no pair arrays per message on the consume path
  for (const name in headers) {
    if (!Object.prototype.hasOwnProperty.call(headers, name)) continue;
    const raw = headers[name];
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    decoded[name] =
      value === undefined ? undefined : Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  }
  return decoded;
}

export function decodeMessage(message: KafkaMessage): KafkaInboundMessage {
  return {
    offset: message.offset,
    key: message.key ?? null,
    value: message.value ?? null,
    headers: decodeHeaders(message.headers),
    timestamp: Number(message.timestamp),
  };
}

export function toKafkaMessage(message: OutboundMessage): Message {
  const encoded: Message = { key: message.key, value: message.value };
  if (message.headers) encoded.headers = message.headers;
  if (message.partition !== undefined) encoded.partition = message.partition;
  return encoded;
}

/** Next offset to consume after `offset` (offsets are int64 decimal strings). */
export function nextOffset(offset: string): string {
  return (BigInt(offset) + 1n).toString();
}

/** highWatermark - next, clamped at 0; a number is precise enough for a lag. */
export function lagOf(highWatermark: string, next: string): number {
  const lag = BigInt(highWatermark) - BigInt(next);
  return lag > 0n ? Number(lag) : 0;
}

/** Per-partition offsets in the per-topic shape of kafkajs' offset commits. */
export function groupOffsetsByTopic(
  offsets: Iterable<{ topic: string; partition: number; offset: string }>,
): TopicOffsets[] {
  const byTopic = new Map<string, { partition: number; offset: string }[]>();
  for (const { topic, partition, offset } of offsets) {
    const partitions = byTopic.get(topic) ?? [];
    partitions.push({ partition, offset });
    byTopic.set(topic, partitions);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}
