import {
  DEFAULT_MAX_EVENT_BYTES,
  InvalidMessageError,
  NowcastEvent,
  ParseEventOptions,
  SCHEMA_VERSION,
  toObject,
  validateEventObject,
} from '@app/contracts';
import { KafkaInboundMessage } from '@app/kafka';

/** What the parser reads of a message (the fast lane passes kafkajs' own messages). */
type ParsedMessage = Pick<KafkaInboundMessage, 'value'>;

export interface ValidMessage<M extends ParsedMessage = KafkaInboundMessage> {
  message: M;
  event: NowcastEvent;
  /**
   * The message's JSON text when it holds exactly the validated event (no unknown field was
   * dropped), so the enriched record can be this text with `enrichment` spliced in instead of a
   * re-serialisation of the event. Absent when the event had to be re-serialised.
   */
  json?: string;
}

export interface PoisonMessage<M extends ParsedMessage = KafkaInboundMessage> {
  message: M;
  error: InvalidMessageError;
}

export interface RoutedMessages<M extends ParsedMessage = KafkaInboundMessage> {
  valid: ValidMessage<M>[];
  poison: PoisonMessage<M>[];
}

/** The envelope's fields (eventId, type, schemaVersion, occurredAt, data): nothing else may be passed on. */
const ENVELOPE_FIELDS = 5;

/**
 * Parses every message of a batch with the shared parser (size cap, JSON, validation; the same
 * checks and errors as parseEvent): a problem of the message itself makes it poison; anything else
 * is a bug or an outage and is rethrown, so the batch fails and is redelivered rather than
 * dead-lettered.
 */
export function routeMessages<M extends ParsedMessage = KafkaInboundMessage>(
  messages: readonly M[],
  options: ParseEventOptions,
): RoutedMessages<M> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_EVENT_BYTES;
  const valid: ValidMessage<M>[] = [];
  const poison: PoisonMessage<M>[] = [];
  for (const message of messages) {
    try {
      const value = message.value;
      // Decoded once here (not inside toObject) so the text can be reused; over the cap it is never decoded.
      const text = value !== null && value.length <= maxBytes ? value.toString('utf8') : undefined;
      const plain = toObject(text ?? value, maxBytes);
      const event = validateEventObject(plain, options, '');
      valid.push(
        text !== undefined && holdsExactly(plain, event)
          ? { message, event, json: text }
          : { message, event },
      );
    } catch (error) {
      if (!(error instanceof InvalidMessageError)) throw error;
      poison.push({ message, error });
    }
  }
  return { valid, poison };
}

/**
 * True when the parsed JSON has no field the validated event dropped or changed: the envelope's
 * five fields (schemaVersion present, so the text says 1 like the event), and data fields that are
 * the very values the validated data kept, as many as it kept.
 */
function holdsExactly(plain: Record<string, unknown>, event: NowcastEvent): boolean {
  if (plain.schemaVersion !== SCHEMA_VERSION || countKeys(plain) !== ENVELOPE_FIELDS) return false;
  const data = plain.data as Record<string, unknown>;
  const kept = event.data as unknown as Record<string, unknown>;
  let keptCount = 0;
  for (const key in kept) {
    if (!Object.prototype.hasOwnProperty.call(kept, key)) continue;
    if (kept[key] !== data[key]) return false;
    keptCount++;
  }
  return keptCount === countKeys(data);
}

function countKeys(value: object): number {
  let count = 0;
  for (const key in value) if (Object.prototype.hasOwnProperty.call(value, key)) count++;
  return count;
}
