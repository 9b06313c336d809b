import {
  CATEGORY_PATTERN,
  DEFAULT_MAX_EVENT_BYTES,
  InvalidMessageError,
  LANGUAGE_MAX_LENGTH,
  LANGUAGE_PATTERN,
  NowcastEvent,
  SAFE_ID_PATTERN,
  TAG_MAX_LENGTH,
  TAGS_MAX_COUNT,
  TITLE_MAX_LENGTH,
  isEventType,
} from '@app/contracts';

/** Enriched records carry the raw event plus its enrichment: twice the raw cap (as parseEnrichedEvent). */
const MAX_ENRICHED_BYTES = 2 * DEFAULT_MAX_EVENT_BYTES;

type Plain = Record<string, unknown>;

const invalid = (path: string, message: string) => InvalidMessageError.of('invalid-field', path, message);

function isPlainObject(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function safeId(data: Plain, field: string): void {
  const value = data[field];
  if (typeof value !== 'string' || !SAFE_ID_PATTERN.test(value)) {
    throw invalid(`data.${field}`, `data.${field} must be an id of 1-128 safe characters`);
  }
}

function text(data: Plain, field: string, optional: boolean): void {
  const value = data[field];
  if (optional && value === undefined) return;
  if (typeof value !== 'string' || value.length > TITLE_MAX_LENGTH || value.trim().length === 0) {
    throw invalid(
      `data.${field}`,
      `data.${field} must be a non-blank text of at most ${TITLE_MAX_LENGTH} characters`,
    );
  }
}

function pattern(data: Plain, field: string, re: RegExp, maxLength: number, optional: boolean): void {
  const value = data[field];
  if (optional && value === undefined) return;
  if (typeof value !== 'string' || value.length > maxLength || !re.test(value)) {
    throw invalid(`data.${field}`, `data.${field} is not a valid ${field}`);
  }
}

function tags(data: Plain, optional: boolean): void {
  const value = data.tags;
  if (optional && value === undefined) return;
  if (!Array.isArray(value) || value.length > TAGS_MAX_COUNT) {
    throw invalid('data.tags', `data.tags must be an array of at most ${TAGS_MAX_COUNT} tags`);
  }
  for (const tag of value) {
    if (typeof tag !== 'string' || tag.length === 0 || tag.length > TAG_MAX_LENGTH) {
      throw invalid('data.tags', `data.tags must hold strings of 1-${TAG_MAX_LENGTH} characters`);
    }
  }
}

/** Checks the data fields this service reads, per type (the others it never touches). */
function checkData(type: NowcastEvent['type'], data: Plain): void {
  switch (type) {
    case 'stream.started':
      safeId(data, 'streamId');
      safeId(data, 'sellerId');
      text(data, 'title', false);
      pattern(data, 'category', CATEGORY_PATTERN, 64, false);
      tags(data, false);
      pattern(data, 'language', LANGUAGE_PATTERN, LANGUAGE_MAX_LENGTH, false);
      return;
    case 'stream.updated':
      safeId(data, 'streamId');
      text(data, 'title', true);
      pattern(data, 'category', CATEGORY_PATTERN, 64, true);
      tags(data, true);
      pattern(data, 'language', LANGUAGE_PATTERN, LANGUAGE_MAX_LENGTH, true);
      return;
    case 'stream.ended':
    case 'stream.removed':
    case 'stream.expired':
      safeId(data, 'streamId');
      return;
    case 'view.started':
    case 'chat.message':
    case 'bid.placed':
    case 'purchase.completed':
    case 'giveaway.entered':
    case 'rec.clicked':
      safeId(data, 'userId');
      safeId(data, 'streamId');
      return;
    case 'user.erased':
      safeId(data, 'userId');
      return;
    case 'stream.heartbeat':
    case 'view.ended':
    case 'auction.started':
    case 'seller.followed':
    case 'seller.unfollowed':
    case 'rec.impression':
      // the model ignores these: only their occurredAt counts here (the partition's watermark)
      return;
  }
}

/**
 * The writer's decoder of enriched records: JSON.parse, then only the fields the writer reads are
 * checked (type, schemaVersion, occurredAt, enrichment present, and per type the ids, title,
 * category, tags and language it uses, with the contracts' own patterns and caps). The enricher
 * validated every record in full before producing it, so the full class-validator pass of
 * `parseEnrichedEvent` (~7 us) is not repeated per event (~1.5 us here); a record that breaks
 * what the writer relies on is still an InvalidMessageError (dead-lettered). The result is the
 * parsed object itself (unknown fields are not stripped: nothing here republishes them).
 */
export function decodeWriterEvent(value: Buffer | string | null): NowcastEvent {
  if (value === null) throw InvalidMessageError.of('not-json', '', 'message has no value');
  if (value.length > MAX_ENRICHED_BYTES) {
    throw InvalidMessageError.of(
      'too-large',
      '',
      `message is ${value.length} bytes, over the ${MAX_ENRICHED_BYTES} byte cap`,
    );
  }
  let plain: unknown;
  try {
    plain = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch (error) {
    throw InvalidMessageError.of('not-json', '', `message is not valid JSON: ${(error as Error).message}`);
  }
  if (!isPlainObject(plain)) throw InvalidMessageError.of('not-json', '', 'message must be a JSON object');
  const type = plain.type;
  if (!isEventType(type)) {
    throw InvalidMessageError.of(
      'unknown-type',
      'type',
      `type ${JSON.stringify(type)?.slice(0, 64)} is not a known event type`,
    );
  }
  if (plain.schemaVersion !== 1) {
    throw InvalidMessageError.of('unsupported-version', 'schemaVersion', 'schemaVersion must be 1');
  }
  const occurredAt = plain.occurredAt;
  if (typeof occurredAt !== 'number' || !Number.isSafeInteger(occurredAt) || occurredAt < 0) {
    throw invalid('occurredAt', 'occurredAt must be a non-negative integer (epoch ms)');
  }
  if (!isPlainObject(plain.enrichment)) throw invalid('enrichment', 'enrichment must be an object');
  const data = plain.data;
  if (!isPlainObject(data)) throw invalid('data', 'data must be an object');
  checkData(type, data);
  return plain as unknown as NowcastEvent;
}
