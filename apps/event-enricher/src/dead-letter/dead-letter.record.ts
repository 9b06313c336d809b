import { InvalidMessageError } from '@app/contracts';
import { KafkaInboundMessage, OutboundMessage } from '@app/kafka';
import { DEAD_LETTER_HEADERS, isDeadLetterHeader } from './dead-letter.headers';

export interface DeadLetterSource {
  topic: string;
  partition: number;
  consumerGroup: string;
}

/** Header values are bounded: a reason message may quote a long input. */
const MAX_MESSAGE_CHARS = 1_000;

/**
 * The dead-letter record of a poison message: the ORIGINAL key and value bytes (so a redrive
 * re-produces exactly what the client sent), the original headers, and headers saying why and
 * where from. Produced in the batch's transaction, so a dead letter is exactly-once too.
 */
export function deadLetterRecord(
  message: KafkaInboundMessage,
  error: InvalidMessageError,
  source: DeadLetterSource,
  failedAtMs: number,
): OutboundMessage {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (value !== undefined && !isDeadLetterHeader(name)) headers[name] = value;
  }
  headers[DEAD_LETTER_HEADERS.errorClass] = error.name;
  headers[DEAD_LETTER_HEADERS.reason] = error.reason;
  headers[DEAD_LETTER_HEADERS.message] = error.message.slice(0, MAX_MESSAGE_CHARS);
  headers[DEAD_LETTER_HEADERS.sourceTopic] = source.topic;
  headers[DEAD_LETTER_HEADERS.sourcePartition] = String(source.partition);
  headers[DEAD_LETTER_HEADERS.sourceOffset] = message.offset;
  headers[DEAD_LETTER_HEADERS.consumerGroup] = source.consumerGroup;
  headers[DEAD_LETTER_HEADERS.failedAt] = new Date(failedAtMs).toISOString();
  return { key: message.key, value: message.value, headers };
}
