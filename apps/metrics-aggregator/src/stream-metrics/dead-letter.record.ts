import { InvalidMessageError } from '@app/contracts';
import { KafkaInboundMessage, OutboundMessage } from '@app/kafka';

/**
 * A poison message of the enriched topic for the dead-letter topic: original key, value and
 * headers, plus the same x-* reason headers the enricher writes.
 */
export function deadLetterRecord(
  message: KafkaInboundMessage,
  error: InvalidMessageError,
  source: { topic: string; partition: number; groupId: string },
  nowMs: number,
): OutboundMessage {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) if (value !== undefined) headers[name] = value;
  return {
    key: message.key,
    value: message.value,
    headers: {
      ...headers,
      'x-error-class': error.name,
      'x-error-reason': error.reason,
      'x-error-message': error.message.slice(0, 1_000),
      'x-source-topic': source.topic,
      'x-source-partition': String(source.partition),
      'x-source-offset': message.offset,
      'x-consumer-group': source.groupId,
      'x-failed-at': new Date(nowMs).toISOString(),
    },
  };
}
