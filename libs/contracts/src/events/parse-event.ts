import { DEFAULT_MAX_EVENT_BYTES, DEFAULT_MAX_FUTURE_MS, DEFAULT_MAX_PAST_MS } from '../validation/limits';
import { validateClass } from '../validation/validate-class';
import { EventEnvelopeDto } from './event-envelope.dto';
import { EVENT_DATA_CLASSES, NowcastEvent, SCHEMA_VERSION, isEventType } from './event-types';
import { InvalidMessageError, InvalidMessageIssue } from './invalid-message.error';

export interface ParseEventOptions {
  /** The consumer's clock for the occurredAt window (epoch ms); default Date.now(). */
  nowMs?: number;
  /** How far in the future occurredAt may be (ms); default 5 minutes. */
  maxFutureMs?: number;
  /** How far in the past occurredAt may be (ms); default 7 days. */
  maxPastMs?: number;
  /** Cap on the serialized message (bytes); default 64 KiB. Not checked for already-parsed input. */
  maxBytes?: number;
}

/**
 * The one parser every consumer boundary uses: bytes, a string or an already-parsed value in, a
 * validated v1 event out (unknown fields dropped), or an InvalidMessageError saying why not.
 */
export function parseEvent(input: unknown, options: ParseEventOptions = {}): NowcastEvent {
  return validateEventObject(toObject(input, options.maxBytes ?? DEFAULT_MAX_EVENT_BYTES), options, '');
}

/** Bytes or string -> JSON object, enforcing the size cap first (cheap rejection of huge input). */
export function toObject(input: unknown, maxBytes: number): Record<string, unknown> {
  let parsed: unknown = input;
  if (Buffer.isBuffer(input) || typeof input === 'string') {
    const bytes = Buffer.isBuffer(input)
      ? input.length
      : input.length * 3 <= maxBytes // UTF-16 units -> at most 3 UTF-8 bytes each: skip the count
        ? 0
        : Buffer.byteLength(input, 'utf8');
    if (bytes > maxBytes) {
      throw InvalidMessageError.of(
        'too-large',
        '',
        `message is ${bytes} bytes, over the ${maxBytes} byte cap`,
      );
    }
    try {
      parsed = JSON.parse(Buffer.isBuffer(input) ? input.toString('utf8') : input);
    } catch (error) {
      throw InvalidMessageError.of('not-json', '', `message is not valid JSON: ${(error as Error).message}`);
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw InvalidMessageError.of('not-json', '', 'message must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/**
 * Validates one already-parsed envelope. `prefix` is prepended to every issue path (the batch
 * parser passes "3." for the fourth item).
 */
export function validateEventObject(
  plain: Record<string, unknown>,
  options: ParseEventOptions,
  prefix: string,
): NowcastEvent {
  const type = plain.type;
  if (typeof type !== 'string') {
    throw InvalidMessageError.of('invalid-field', `${prefix}type`, `${prefix}type must be a string`);
  }
  if (!isEventType(type)) {
    throw InvalidMessageError.of(
      'unknown-type',
      `${prefix}type`,
      `${prefix}type "${type.slice(0, 64)}" is not a known event type`,
    );
  }
  if (plain.schemaVersion !== SCHEMA_VERSION && plain.schemaVersion !== undefined) {
    throw InvalidMessageError.of(
      'unsupported-version',
      `${prefix}schemaVersion`,
      `${prefix}schemaVersion ${JSON.stringify(plain.schemaVersion)?.slice(0, 32)} is not supported (only 1)`,
    );
  }
  const envelope = validateClass(EventEnvelopeDto, plain, prefix);
  const issues: InvalidMessageIssue[] = envelope.issues;
  if (issues.length === 0) checkOccurredAt(envelope.value.occurredAt, options, prefix, issues);
  const dataPlain = plain.data;
  let data: object | undefined;
  if (typeof dataPlain === 'object' && dataPlain !== null && !Array.isArray(dataPlain)) {
    const validated = validateClass<object>(EVENT_DATA_CLASSES[type], dataPlain, `${prefix}data.`);
    issues.push(...validated.issues);
    data = validated.value;
  }
  if (issues.length > 0 || data === undefined) throw new InvalidMessageError('invalid-field', issues);
  return {
    eventId: envelope.value.eventId,
    type,
    schemaVersion: SCHEMA_VERSION,
    occurredAt: envelope.value.occurredAt,
    data,
  } as NowcastEvent;
}

function checkOccurredAt(
  occurredAt: number,
  options: ParseEventOptions,
  prefix: string,
  issues: InvalidMessageIssue[],
): void {
  const now = options.nowMs ?? Date.now();
  const maxFuture = options.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS;
  const maxPast = options.maxPastMs ?? DEFAULT_MAX_PAST_MS;
  if (occurredAt > now + maxFuture) {
    issues.push({
      path: `${prefix}occurredAt`,
      message: `${prefix}occurredAt is ${occurredAt - now} ms in the future (max ${maxFuture} ms)`,
    });
  } else if (occurredAt < now - maxPast) {
    issues.push({
      path: `${prefix}occurredAt`,
      message: `${prefix}occurredAt is ${now - occurredAt} ms in the past (max ${maxPast} ms)`,
    });
  }
}
