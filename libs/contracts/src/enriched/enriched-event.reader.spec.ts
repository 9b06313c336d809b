import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_TYPES } from '../events/event-types';
import { InvalidMessageError } from '../events/invalid-message.error';
import { ParseEventOptions } from '../events/parse-event';
import { parseEnrichedEvent } from './enriched-event';
import { readEnrichedEvent } from './enriched-event.reader';
import { parseEnrichedObjectSlow } from './enriched-event.slow';

type Plain = Record<string, unknown>;

const FIXTURES = join(__dirname, '../../fixtures/v1');
const context = { sellerId: 'seller-7', category: 'watches', language: 'pt-BR', live: false, ageMs: 0 };
/** What the enricher writes: a known stream (with or without a follow), an unknown one, none. */
const ENRICHMENTS: Plain[] = [
  { ingestedAt: 1764150000999, stream: context, followsSeller: true },
  { ingestedAt: 0, stream: context },
  { ingestedAt: 5, stream: 'unknown', followsSeller: null },
  { ingestedAt: 7 },
  { ingestedAt: 7, stream: null, followsSeller: false },
];
/** Values every field is replaced with in turn (undefined: the field is removed). */
const BAD_VALUES: unknown[] = [
  undefined,
  null,
  '',
  ' ',
  'has space',
  'unknown',
  'x'.repeat(129),
  'en',
  0,
  -1,
  1.5,
  Number.MAX_SAFE_INTEGER + 2,
  NaN,
  '12',
  true,
  'true',
  [],
  ['a'],
  {},
  { nested: 1 },
  // class-validator's isString accepts String objects
  new String('boxed'),
];

function enriched(type: string, enrichment: Plain): Plain {
  const raw = JSON.parse(readFileSync(join(FIXTURES, `${type}.json`), 'utf8')) as Plain;
  return { ...raw, enrichment: structuredClone(enrichment) };
}

/** Every path to a value (objects and arrays included) inside `value`. */
function paths(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [];
  const own = Object.keys(value).map((key) => [...prefix, key]);
  return own.flatMap((path) => [path, ...paths((value as Plain)[path[path.length - 1]], path)]);
}

function mutated(base: Plain, path: string[], replacement: unknown): Plain {
  const copy = structuredClone(base);
  let at = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Plain;
  const last = path[path.length - 1];
  if (replacement === undefined && !Array.isArray(at)) delete at[last];
  else at[last] = replacement;
  return copy;
}

type Outcome = { ok: true; value: unknown } | { ok: false; reason: string; issues: unknown };

function outcome(parse: () => unknown): Outcome {
  try {
    return { ok: true, value: parse() };
  } catch (error) {
    if (!(error instanceof InvalidMessageError)) throw error;
    return { ok: false, reason: error.reason, issues: error.issues };
  }
}

/**
 * The compiled reader may only accept what the reference accepts, with a strictly equal result
 * (same classes, same properties), and parseEnrichedEvent must give the reference's outcome.
 */
function expectEquivalent(input: Plain, options: ParseEventOptions = {}): boolean {
  const merged = { maxPastMs: Infinity, maxFutureMs: Infinity, ...options };
  const reference = outcome(() => parseEnrichedObjectSlow(structuredClone(input), merged));
  const fast = readEnrichedEvent(structuredClone(input), options);
  if (fast !== null) expect(reference).toStrictEqual({ ok: true, value: fast });
  expect(outcome(() => parseEnrichedEvent(structuredClone(input), options))).toStrictEqual(reference);
  const text = JSON.stringify(input);
  const fromText = outcome(() => parseEnrichedObjectSlow(JSON.parse(text) as Plain, merged));
  expect(outcome(() => parseEnrichedEvent(Buffer.from(text), options))).toStrictEqual(fromText);
  return reference.ok;
}

describe('parseEnrichedEvent: compiled reader vs reference parse', () => {
  it.each(EVENT_TYPES)('%s: every fixture enrichment is accepted by both, equal results', (type) => {
    const inputs = ENRICHMENTS.map((enrichment) => enriched(type, enrichment));
    expect(inputs.map((input) => expectEquivalent(input))).toEqual([true, true, true, true, true]);
    // what the enricher writes takes the reader; a null stream (valid, never written) the reference
    expect(inputs.map((input) => readEnrichedEvent(input, {}) !== null)).toEqual([
      true,
      true,
      true,
      true,
      false,
    ]);
  });

  it.each(EVENT_TYPES)('%s: every field replaced by every bad value, same outcome', (type) => {
    // the fullest enrichment: its stream and followsSeller paths get 'unknown' and null too
    const base = enriched(type, ENRICHMENTS[0]);
    let rejected = 0;
    for (const path of paths(base)) {
      for (const replacement of BAD_VALUES) {
        if (!expectEquivalent(mutated(base, path, replacement))) rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(100);
  });

  it('strips unknown fields at every level, as the reference does', () => {
    const input = enriched('bid.placed', ENRICHMENTS[0]);
    const extra = {
      ...input,
      extra: 1,
      data: { ...(input.data as Plain), note: 'x' },
      enrichment: { ...(input.enrichment as Plain), more: true, stream: { ...context, rogue: [] } },
    };
    expect(expectEquivalent(extra)).toBe(true);
    const event = parseEnrichedEvent(JSON.stringify(extra));
    expect(Object.keys(event)).toEqual([
      'eventId',
      'type',
      'schemaVersion',
      'occurredAt',
      'data',
      'enrichment',
    ]);
    expect(event.enrichment).toStrictEqual(ENRICHMENTS[0]);
  });

  it('applies an occurredAt window only when asked, with the reference messages', () => {
    const input = enriched('chat.message', ENRICHMENTS[2]);
    const occurredAt = input.occurredAt as number;
    const windows: ParseEventOptions[] = [
      {},
      { nowMs: occurredAt },
      { nowMs: occurredAt + 10, maxPastMs: 5 },
      { nowMs: occurredAt - 10, maxFutureMs: 5 },
      { nowMs: occurredAt - 10, maxFutureMs: 50 },
      { nowMs: occurredAt + 8 * 24 * 3_600_000, maxPastMs: undefined },
      { nowMs: occurredAt - 6 * 60_000, maxFutureMs: undefined },
    ];
    expect(windows.map((options) => expectEquivalent(input, options))).toEqual([
      true,
      true,
      false,
      false,
      true,
      false,
      false,
    ]);
  });

  it('rejects non-objects and bad envelopes with the reference reasons', () => {
    const base = enriched('view.started', ENRICHMENTS[0]);
    for (const input of [
      { ...base, type: 'nope' },
      { ...base, type: 3 },
      { ...base, schemaVersion: 2 },
      { ...base, data: [] },
      { ...base, enrichment: 'unknown' },
      { ...base, enrichment: [] },
    ]) {
      expect(expectEquivalent(input)).toBe(false);
    }
    expect(() => parseEnrichedEvent('[1]')).toThrow(/must be a JSON object/);
    expect(() => parseEnrichedEvent(Buffer.from('{'))).toThrow(/not valid JSON/);
  });
});
