import { InvalidMessageError, NowcastEvent, ParseEventOptions, parseEvent } from '@app/contracts';
import { KafkaInboundMessage } from '@app/kafka';

export interface ValidMessage {
  message: KafkaInboundMessage;
  event: NowcastEvent;
}

export interface PoisonMessage {
  message: KafkaInboundMessage;
  error: InvalidMessageError;
}

export interface RoutedMessages {
  valid: ValidMessage[];
  poison: PoisonMessage[];
}

/**
 * Parses every message of a batch with the shared parser: a problem of the message itself (not
 * JSON, too large, unknown type, invalid field) makes it poison; anything else is a bug or an
 * outage and is rethrown, so the batch fails and is redelivered rather than dead-lettered.
 */
export function routeMessages(
  messages: readonly KafkaInboundMessage[],
  options: ParseEventOptions,
): RoutedMessages {
  const valid: ValidMessage[] = [];
  const poison: PoisonMessage[] = [];
  for (const message of messages) {
    try {
      valid.push({ message, event: parseEvent(message.value, options) });
    } catch (error) {
      if (!(error instanceof InvalidMessageError)) throw error;
      poison.push({ message, error });
    }
  }
  return { valid, poison };
}
