import { InvalidMessageError, InvalidMessageIssue, InvalidMessageReason } from './invalid-message.error';
import { NowcastEvent } from './event-types';
import { ParseEventOptions, toObject, validateEventObject } from './parse-event';
import { DEFAULT_MAX_EVENT_BYTES } from '../validation/limits';

/** Most events in one batch (one HTTP request). */
export const DEFAULT_MAX_BATCH_ITEMS = 1000;

export interface ParseEventBatchOptions extends ParseEventOptions {
  /** Cap on the number of items; default 1,000. */
  maxItems?: number;
}

/** What is wrong with one item: its index and the issues, paths relative to the item. */
export interface BatchItemError {
  index: number;
  reason: InvalidMessageReason;
  issues: readonly InvalidMessageIssue[];
}

export type ParsedEventBatch = { ok: true; events: NowcastEvent[] } | { ok: false; errors: BatchItemError[] };

/**
 * Validates one event or an array of events, all of them (no early exit), so a client gets
 * every problem at once. Throws InvalidMessageError only for the batch as a whole (not JSON,
 * too large, too many items, empty); `maxBytes` applies to the whole serialized batch.
 */
export function parseEventBatch(input: unknown, options: ParseEventBatchOptions = {}): ParsedEventBatch {
  const maxItems = options.maxItems ?? DEFAULT_MAX_BATCH_ITEMS;
  const items = toItems(input, options.maxBytes ?? DEFAULT_MAX_EVENT_BYTES * DEFAULT_MAX_BATCH_ITEMS);
  if (items.length === 0) throw InvalidMessageError.of('invalid-field', '', 'batch must not be empty');
  if (items.length > maxItems) {
    throw InvalidMessageError.of(
      'too-large',
      '',
      `batch has ${items.length} items, over the cap of ${maxItems}`,
    );
  }
  const events: NowcastEvent[] = [];
  const errors: BatchItemError[] = [];
  items.forEach((item, index) => {
    try {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        throw InvalidMessageError.of('invalid-field', '', 'item must be a JSON object');
      }
      events.push(validateEventObject(item as Record<string, unknown>, options, ''));
    } catch (error) {
      if (!(error instanceof InvalidMessageError)) throw error;
      errors.push({ index, reason: error.reason, issues: error.issues });
    }
  });
  return errors.length === 0 ? { ok: true, events } : { ok: false, errors };
}

function toItems(input: unknown, maxBytes: number): unknown[] {
  if (Array.isArray(input)) return input;
  if (Buffer.isBuffer(input) || typeof input === 'string') {
    const text = Buffer.isBuffer(input) ? input.toString('utf8') : input;
    if (text.trimStart().startsWith('[')) {
      const bytes = Buffer.isBuffer(input) ? input.length : Buffer.byteLength(text, 'utf8');
      if (bytes > maxBytes) {
        throw InvalidMessageError.of(
          'too-large',
          '',
          `batch is ${bytes} bytes, over the ${maxBytes} byte cap`,
        );
      }
      try {
        return JSON.parse(text) as unknown[];
      } catch (error) {
        throw InvalidMessageError.of('not-json', '', `batch is not valid JSON: ${(error as Error).message}`);
      }
    }
  }
  return [toObject(input, maxBytes)];
}
