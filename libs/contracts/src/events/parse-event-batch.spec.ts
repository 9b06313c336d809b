import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidMessageError } from './invalid-message.error';
import { parseEventBatch } from './parse-event-batch';

const NOW = 1764170000123;
const fixture = (type: string) =>
  JSON.parse(readFileSync(join(__dirname, '../../fixtures/v1', `${type}.json`), 'utf8')) as Record<
    string,
    unknown
  > & { data: Record<string, unknown> };

describe('parseEventBatch', () => {
  it('accepts one event or an array, as bytes or values', () => {
    const one = parseEventBatch(JSON.stringify(fixture('view.started')), { nowMs: NOW });
    expect(one.ok && one.events.length).toBe(1);
    const many = parseEventBatch(
      Buffer.from(JSON.stringify([fixture('view.started'), fixture('bid.placed')])),
      {
        nowMs: NOW,
      },
    );
    expect(many.ok && many.events.map((e) => e.type)).toEqual(['view.started', 'bid.placed']);
  });

  it('reports every bad item with its index and field path', () => {
    const bad = fixture('bid.placed');
    bad.data.amount = -2;
    const unknown = fixture('view.started');
    unknown.type = 'nope';
    const result = parseEventBatch([fixture('view.started'), bad, 'text', unknown], { nowMs: NOW });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => [e.index, e.reason, e.issues[0].path])).toEqual([
      [1, 'invalid-field', 'data.amount'],
      [2, 'invalid-field', ''],
      [3, 'unknown-type', 'type'],
    ]);
  });

  it('refuses an empty batch, too many items, and bad JSON as a whole', () => {
    expect(() => parseEventBatch([])).toThrow(InvalidMessageError);
    const items = Array.from({ length: 3 }, () => fixture('view.started'));
    expect(() => parseEventBatch(items, { nowMs: NOW, maxItems: 2 })).toThrow(/over the cap of 2/);
    expect(() => parseEventBatch('[{"a":')).toThrow(/not valid JSON/);
  });
});
