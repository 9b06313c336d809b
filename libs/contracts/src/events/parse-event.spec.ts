import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_TYPES, EventType, NowcastEvent } from './event-types';
import { InvalidMessageError } from './invalid-message.error';
import { parseEvent } from './parse-event';
import { partitionKeyOf } from './partition-key';

const FIXTURES = join(__dirname, '../../fixtures/v1');
/** A clock at which every fixture is inside the default window. */
const NOW = 1764170000123;

type Plain = Record<string, unknown> & { data: Record<string, unknown> };

function fixture(type: EventType): Plain {
  return JSON.parse(readFileSync(join(FIXTURES, `${type}.json`), 'utf8')) as Plain;
}

function rejection(input: unknown, options = {}): InvalidMessageError {
  try {
    parseEvent(input, { nowMs: NOW, ...options });
  } catch (error) {
    if (error instanceof InvalidMessageError) return error;
    throw error;
  }
  throw new Error('expected an InvalidMessageError');
}

describe('parseEvent: golden fixtures', () => {
  it('has exactly one fixture per event type', () => {
    const files = readdirSync(FIXTURES).map((f) => f.replace(/\.json$/, ''));
    expect(files.sort()).toEqual([...EVENT_TYPES].sort());
  });

  it.each(EVENT_TYPES)('%s validates from bytes and round-trips', (type) => {
    const bytes = readFileSync(join(FIXTURES, `${type}.json`));
    const event = parseEvent(bytes, { nowMs: NOW });
    expect(event.type).toBe(type);
    expect(JSON.parse(JSON.stringify(event))).toEqual(fixture(type));
    expect(parseEvent(JSON.stringify(event), { nowMs: NOW })).toEqual(event);
  });

  it.each(EVENT_TYPES)('%s has a partition key from its data', (type) => {
    const event = parseEvent(fixture(type), { nowMs: NOW });
    const data = event.data as unknown as Record<string, string>;
    const expected = 'streamId' in data ? data.streamId : data.userId;
    expect(partitionKeyOf(event)).toBe(expected);
  });
});

describe('parseEvent: tolerant reader', () => {
  it('ignores and drops unknown fields in the envelope and in data', () => {
    const plain = fixture('bid.placed');
    plain.traceId = 'abc';
    plain.data.coupon = 'SPRING';
    const event = parseEvent(plain, { nowMs: NOW }) as NowcastEvent & Record<string, unknown>;
    expect(event.traceId).toBeUndefined();
    expect((event.data as unknown as Record<string, unknown>).coupon).toBeUndefined();
    expect(event.data).toMatchObject({ amount: 27.5, currency: 'USD' });
  });

  it('accepts optional fields when absent', () => {
    const plain = fixture('stream.heartbeat');
    delete plain.data.viewerCount;
    expect(parseEvent(plain, { nowMs: NOW }).data).toEqual({ streamId: 'stream-42' });
  });
});

describe('parseEvent: whole-message problems', () => {
  it('rejects what is not JSON', () => {
    expect(rejection('{"eventId":').reason).toBe('not-json');
    expect(rejection(Buffer.from('hello')).reason).toBe('not-json');
    expect(rejection('[1,2]').reason).toBe('not-json');
    expect(rejection(null).reason).toBe('not-json');
  });

  it('rejects an oversize message before parsing it', () => {
    const plain = fixture('view.started');
    plain.padding = 'x'.repeat(70 * 1024);
    const error = rejection(JSON.stringify(plain));
    expect(error.reason).toBe('too-large');
    expect(error.message).toMatch(/over the 65536 byte cap/);
    expect(rejection(Buffer.from(JSON.stringify(fixture('view.started'))), { maxBytes: 100 }).reason).toBe(
      'too-large',
    );
  });

  it('counts bytes, not characters', () => {
    const plain = fixture('stream.started');
    plain.data.title = 'é'.repeat(150);
    const text = JSON.stringify(plain);
    expect(() => parseEvent(text, { nowMs: NOW, maxBytes: text.length + 10 })).toThrow(/byte cap/);
  });

  it('rejects an unknown type, naming it', () => {
    const plain = fixture('view.started');
    plain.type = 'view.teleported';
    const error = rejection(plain);
    expect(error.reason).toBe('unknown-type');
    expect(error.issues.map((i) => i.path)).toEqual(['type']);
    expect(error.issues[0].message).toContain('view.teleported');
  });

  it('rejects another schema version', () => {
    const plain = fixture('view.started');
    plain.schemaVersion = 2;
    expect(rejection(plain)).toMatchObject({
      reason: 'unsupported-version',
      issues: [{ path: 'schemaVersion' }],
    });
  });

  it('sets the error name for dead-letter headers', () => {
    expect(rejection('nope').name).toBe('InvalidMessageError');
  });
});

describe('parseEvent: occurredAt window', () => {
  it('rejects more than 5 minutes in the future by default, and accepts up to it', () => {
    const plain = fixture('view.started');
    plain.occurredAt = NOW + 5 * 60_000 + 1;
    const issues = rejection(plain).issues;
    expect(issues.map((i) => i.path)).toEqual(['occurredAt']);
    expect(issues[0].message).toMatch(/occurredAt is 300001 ms in the future \(max 300000 ms\)/);
    plain.occurredAt = NOW + 5 * 60_000;
    expect(parseEvent(plain, { nowMs: NOW }).occurredAt).toBe(NOW + 5 * 60_000);
  });

  it('rejects more than 7 days in the past by default', () => {
    const plain = fixture('view.started');
    plain.occurredAt = NOW - 7 * 86_400_000 - 1;
    const issue = rejection(plain).issues[0];
    expect(issue.path).toBe('occurredAt');
    expect(issue.message).toMatch(/occurredAt is \d+ ms in the past/);
  });

  it('takes configured limits', () => {
    const plain = fixture('view.started');
    plain.occurredAt = NOW - 2_000;
    expect(rejection(plain, { maxPastMs: 1_000 }).issues[0].path).toBe('occurredAt');
    plain.occurredAt = NOW + 2_000;
    expect(rejection(plain, { maxFutureMs: 1_000 }).issues[0].path).toBe('occurredAt');
    plain.occurredAt = 0;
    expect(parseEvent(plain, { nowMs: NOW, maxPastMs: Infinity }).occurredAt).toBe(0);
  });
});
