import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateClassSlow } from '../validation/validate-class';
import { EVENT_DATA_CLASSES, EventType } from './event-types';
import { EventEnvelopeDto } from './event-envelope.dto';
import { InvalidMessageError } from './invalid-message.error';
import { parseEvent } from './parse-event';

const NOW = 1764170000123;
type Plain = Record<string, unknown> & { data: Record<string, unknown> };

function fixture(type: EventType): Plain {
  return JSON.parse(readFileSync(join(__dirname, '../../fixtures/v1', `${type}.json`), 'utf8')) as Plain;
}

interface RuleCase {
  rule: string;
  type: EventType;
  mutate: (plain: Plain) => void;
  path: string;
  message: RegExp;
}

const dataClass = (type: EventType) => EVENT_DATA_CLASSES[type] as new () => object;
const long = (n: number, c = 'a') => c.repeat(n);

/** One case per rule; every one must be rejected with an issue naming the field path. */
const CASES: RuleCase[] = [
  {
    rule: 'eventId charset',
    type: 'view.started',
    mutate: (p) => (p.eventId = 'a b'),
    path: 'eventId',
    message: /eventId must be 1-128 characters/,
  },
  {
    rule: 'eventId length',
    type: 'view.started',
    mutate: (p) => (p.eventId = long(129)),
    path: 'eventId',
    message: /eventId/,
  },
  {
    rule: 'eventId missing',
    type: 'view.started',
    mutate: (p) => delete p.eventId,
    path: 'eventId',
    message: /eventId must be a string/,
  },
  {
    rule: 'occurredAt integer',
    type: 'view.started',
    mutate: (p) => (p.occurredAt = 1.5),
    path: 'occurredAt',
    message: /occurredAt must be an integer/,
  },
  {
    rule: 'occurredAt type',
    type: 'view.started',
    mutate: (p) => (p.occurredAt = '2025-01-01'),
    path: 'occurredAt',
    message: /occurredAt/,
  },
  {
    rule: 'data missing',
    type: 'view.started',
    mutate: (p) => delete (p as Record<string, unknown>).data,
    path: 'data',
    message: /data must be an object/,
  },
  {
    rule: 'userId missing',
    type: 'view.started',
    mutate: (p) => delete p.data.userId,
    path: 'data.userId',
    message: /data.userId must be a string/,
  },
  {
    rule: 'streamId charset',
    type: 'chat.message',
    mutate: (p) => (p.data.streamId = 'stream/../x'),
    path: 'data.streamId',
    message: /data.streamId must be 1-128/,
  },
  {
    rule: 'streamId type',
    type: 'giveaway.entered',
    mutate: (p) => (p.data.streamId = 42),
    path: 'data.streamId',
    message: /data.streamId must be a string/,
  },
  {
    rule: 'sellerId empty',
    type: 'seller.followed',
    mutate: (p) => (p.data.sellerId = ''),
    path: 'data.sellerId',
    message: /data.sellerId must be 1-128/,
  },
  {
    rule: 'amount negative',
    type: 'bid.placed',
    mutate: (p) => (p.data.amount = -1),
    path: 'data.amount',
    message: /data.amount must be a finite number >= 0/,
  },
  {
    rule: 'amount 5 decimals',
    type: 'bid.placed',
    mutate: (p) => (p.data.amount = 1.00001),
    path: 'data.amount',
    message: /at most 4 fractional digits/,
  },
  {
    rule: 'amount tiny exponent',
    type: 'purchase.completed',
    mutate: (p) => (p.data.amount = 1e-7),
    path: 'data.amount',
    message: /data.amount/,
  },
  {
    rule: 'amount string',
    type: 'purchase.completed',
    mutate: (p) => (p.data.amount = '12.50'),
    path: 'data.amount',
    message: /data.amount/,
  },
  {
    rule: 'amount huge',
    type: 'purchase.completed',
    mutate: (p) => (p.data.amount = 1e12),
    path: 'data.amount',
    message: /data.amount/,
  },
  {
    rule: 'startingPrice',
    type: 'auction.started',
    mutate: (p) => (p.data.startingPrice = null),
    path: 'data.startingPrice',
    message: /data.startingPrice/,
  },
  {
    rule: 'currency',
    type: 'bid.placed',
    mutate: (p) => (p.data.currency = 'usd'),
    path: 'data.currency',
    message: /data.currency must be a 3-letter/,
  },
  {
    rule: 'auctionId',
    type: 'bid.placed',
    mutate: (p) => delete p.data.auctionId,
    path: 'data.auctionId',
    message: /data.auctionId/,
  },
  {
    rule: 'title cap',
    type: 'stream.started',
    mutate: (p) => (p.data.title = long(201)),
    path: 'data.title',
    message: /data.title must be shorter than or equal to 200/,
  },
  {
    rule: 'title blank',
    type: 'stream.started',
    mutate: (p) => (p.data.title = '   '),
    path: 'data.title',
    message: /data.title must not be empty/,
  },
  {
    rule: 'category charset',
    type: 'stream.started',
    mutate: (p) => (p.data.category = 'home & garden'),
    path: 'data.category',
    message: /data.category must be 1-64/,
  },
  {
    rule: 'language',
    type: 'stream.started',
    mutate: (p) => (p.data.language = 'English'),
    path: 'data.language',
    message: /data.language must be a language tag/,
  },
  {
    rule: 'tags count',
    type: 'stream.started',
    mutate: (p) => (p.data.tags = Array.from({ length: 21 }, (_, i) => `t${i}`)),
    path: 'data.tags',
    message: /data.tags must contain no more than 20/,
  },
  {
    rule: 'tag length',
    type: 'stream.started',
    mutate: (p) => (p.data.tags = [long(41)]),
    path: 'data.tags',
    message: /each value in data.tags must be shorter than or equal to 40/,
  },
  {
    rule: 'tags type',
    type: 'stream.started',
    mutate: (p) => (p.data.tags = 'vintage'),
    path: 'data.tags',
    message: /data.tags must be an array/,
  },
  {
    rule: 'updated title cap',
    type: 'stream.updated',
    mutate: (p) => (p.data.title = long(201)),
    path: 'data.title',
    message: /data.title/,
  },
  {
    rule: 'viewerCount',
    type: 'stream.heartbeat',
    mutate: (p) => (p.data.viewerCount = -3),
    path: 'data.viewerCount',
    message: /data.viewerCount must not be less than 0/,
  },
  {
    rule: 'removed reason',
    type: 'stream.removed',
    mutate: (p) => delete p.data.reason,
    path: 'data.reason',
    message: /data.reason/,
  },
  {
    rule: 'streamIds empty',
    type: 'rec.impression',
    mutate: (p) => (p.data.streamIds = []),
    path: 'data.streamIds',
    message: /data.streamIds must contain at least 1/,
  },
  {
    rule: 'streamIds cap',
    type: 'rec.impression',
    mutate: (p) => (p.data.streamIds = Array.from({ length: 101 }, (_, i) => `s${i}`)),
    path: 'data.streamIds',
    message: /no more than 100/,
  },
  {
    rule: 'streamIds items',
    type: 'rec.impression',
    mutate: (p) => (p.data.streamIds = ['ok', 'not ok']),
    path: 'data.streamIds',
    message: /each value in data.streamIds must be 1-128/,
  },
  {
    rule: 'requestId',
    type: 'rec.clicked',
    mutate: (p) => (p.data.requestId = long(129)),
    path: 'data.requestId',
    message: /data.requestId/,
  },
  {
    rule: 'erased userId',
    type: 'user.erased',
    mutate: (p) => (p.data.userId = 'user"7'),
    path: 'data.userId',
    message: /data.userId/,
  },
];

function rejectionOf(plain: Plain): InvalidMessageError {
  try {
    parseEvent(plain, { nowMs: NOW });
  } catch (error) {
    if (error instanceof InvalidMessageError) return error;
    throw error;
  }
  throw new Error('expected an InvalidMessageError');
}

describe('every rule rejects with a message naming the field', () => {
  it.each(CASES.map((c) => [c.rule, c] as const))('%s', (_rule, c) => {
    const plain = fixture(c.type);
    c.mutate(plain);
    const error = rejectionOf(plain);
    expect(error.reason).toBe('invalid-field');
    const messages = error.issues.filter((i) => i.path === c.path).map((i) => i.message);
    expect(messages.some((m) => c.message.test(m))).toBe(true);
    expect(error.message).toContain(c.path);
  });

  it('reports every invalid field at once', () => {
    const plain = fixture('bid.placed');
    plain.data.amount = -1;
    plain.data.currency = 'euro';
    expect(
      rejectionOf(plain)
        .issues.map((i) => i.path)
        .sort(),
    ).toEqual(['data.amount', 'data.currency']);
  });
});

describe('the compiled fast path agrees with plain class-validator', () => {
  it.each(CASES.map((c) => [c.rule, c] as const))('%s', (_rule, c) => {
    const plain = fixture(c.type);
    c.mutate(plain);
    const slowEnvelope = validateClassSlow(EventEnvelopeDto, structuredClone(plain), '');
    const data = plain.data as object | undefined;
    const slowData =
      typeof data === 'object' && data !== null
        ? validateClassSlow(dataClass(c.type), structuredClone(data), 'data.').issues
        : [];
    expect([...slowEnvelope.issues, ...slowData].map((i) => i.path)).toContain(c.path);
  });

  it.each(Object.keys(EVENT_DATA_CLASSES) as EventType[])('%s fixture is valid for both', (type) => {
    const plain = fixture(type);
    expect(validateClassSlow(EventEnvelopeDto, plain, '').issues).toEqual([]);
    expect(validateClassSlow(dataClass(type), plain.data, 'data.').issues).toEqual([]);
    expect(parseEvent(plain, { nowMs: NOW }).data).toEqual(
      validateClassSlow(dataClass(type), structuredClone(plain.data), 'data.').value,
    );
  });
});
