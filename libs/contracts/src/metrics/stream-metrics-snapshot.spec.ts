import { InvalidMessageError } from '../events/invalid-message.error';
import {
  StreamMetricsSnapshot,
  parseStreamMetricsObjectSlow,
  parseStreamMetricsSnapshot,
} from './stream-metrics-snapshot';
import { readStreamMetricsSnapshot } from './stream-metrics-snapshot.reader';

const rates = {
  chats: 3,
  bids: 1.5,
  uniqueBidders: 1,
  purchases: 0.2,
  gmv: 12.5,
  giveaways: 0,
  newViewers: 4,
};

function snapshot(): Record<string, unknown> {
  return {
    streamId: 'stream-42',
    live: true,
    sellerId: 'seller-7',
    category: 'watches',
    language: 'en',
    title: 'Vintage watches',
    startedAt: 1764150000123,
    viewers: 120,
    peakViewers: 150,
    uniqueViewers: 400,
    rates: { '1m': rates, '5m': rates, '15m': rates },
    viewerVelocity: -2.5,
    engagementScore: 0.73,
    lifetime: {
      chats: 10,
      bids: 4,
      purchases: 1,
      gmvByCurrency: { USD: 275000 },
      giveawayEntries: 2,
      uniqueViewers: 400,
    },
    lastEventAt: 1764150100123,
    updatedAt: 1764150100200,
  };
}

describe('parseStreamMetricsSnapshot', () => {
  it('round-trips a live record and an ended one', () => {
    expect(parseStreamMetricsSnapshot(JSON.stringify(snapshot()))).toEqual(snapshot());
    const ended = { ...snapshot(), live: false, endReason: 'expired', endedAt: 1764150200000 };
    expect(parseStreamMetricsSnapshot(ended)).toEqual(ended);
  });

  it('names bad nested fields', () => {
    const bad = snapshot();
    bad.rates = { '1m': rates, '5m': { ...rates, gmv: -1 }, '15m': rates };
    expect(() => parseStreamMetricsSnapshot(bad)).toThrow(/rates.5m.gmv must not be less than 0/);
    const money = snapshot();
    money.lifetime = { ...(money.lifetime as object), gmvByCurrency: { USD: 1.5 } };
    expect(() => parseStreamMetricsSnapshot(money)).toThrow(/lifetime.gmvByCurrency must map/);
    const missing = snapshot();
    delete missing.rates;
    expect(() => parseStreamMetricsSnapshot(missing)).toThrow(/rates must be an object/);
  });
});

/** Values every field is replaced with in turn (undefined: the field is removed). */
const BAD_VALUES: unknown[] = [
  undefined,
  null,
  '',
  ' ',
  'has space',
  'x'.repeat(300),
  'ended',
  0,
  -1,
  1.5,
  NaN,
  Infinity,
  -Infinity,
  '12',
  true,
  [],
  {},
  { USD: 1 },
  new String('boxed'),
];

/** Every path of a plain object tree, e.g. ['rates', '5m', 'gmv']. */
function paths(value: Record<string, unknown>, prefix: string[] = []): string[][] {
  const out: string[][] = [];
  for (const [key, child] of Object.entries(value)) {
    out.push([...prefix, key]);
    if (typeof child === 'object' && child !== null)
      out.push(...paths(child as Record<string, unknown>, [...prefix, key]));
  }
  return out;
}

function withValue(path: string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(snapshot());
  let at = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
  const last = path[path.length - 1];
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy;
}

function outcome(parse: () => StreamMetricsSnapshot): unknown {
  try {
    return { value: parse() };
  } catch (error) {
    return { error: (error as InvalidMessageError).issues };
  }
}

describe('parseStreamMetricsSnapshot: compiled reader vs the reference', () => {
  const records: Record<string, unknown>[] = [
    snapshot(),
    { ...snapshot(), live: false, endReason: 'removed', endedAt: 1764150200000 },
    { ...snapshot(), endReason: null, endedAt: null, extra: 'dropped' },
  ];
  for (const path of paths(snapshot())) {
    for (const bad of BAD_VALUES) records.push(withValue(path, bad));
  }
  records.push(withValue(['extra'], 1), withValue(['rates', 'extra'], { chats: -1 }));

  it('agrees on the value or on every issue for each record', () => {
    let valid = 0;
    for (const record of records) {
      const fast = outcome(() => parseStreamMetricsSnapshot(structuredClone(record)));
      const slow = outcome(() => parseStreamMetricsObjectSlow(structuredClone(record)));
      expect(fast).toEqual(slow);
      if ('value' in (fast as object)) valid += 1;
    }
    // both outcomes are exercised
    expect(valid).toBeGreaterThan(10);
    expect(valid).toBeLessThan(records.length - 100);
  });

  it('keeps the reference key order and copies nested objects', () => {
    const input = snapshot();
    const parsed = parseStreamMetricsSnapshot(input);
    expect(Object.keys(parsed)).toEqual(Object.keys(parseStreamMetricsObjectSlow(snapshot())));
    expect(Object.keys(parsed.lifetime)).toEqual(Object.keys(input.lifetime as object));
    expect(parsed.lifetime.gmvByCurrency).not.toBe(
      (input.lifetime as { gmvByCurrency: object }).gmvByCurrency,
    );
    expect(parsed.rates['1m']).not.toBe((input.rates as Record<string, object>)['1m']);
  });

  it('reads valid records through the compiled reader', () => {
    expect(readStreamMetricsSnapshot(snapshot())).toEqual(snapshot());
    expect(readStreamMetricsSnapshot(withValue(['rates', '1m', 'gmv'], Infinity))).toBeNull();
  });
});
