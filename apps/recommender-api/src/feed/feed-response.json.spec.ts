import { seededRandom } from '@app/vector-store';
import { LiveMetricsCache } from '../live-metrics/live-metrics.cache';
import { RankedPageItem, RankingService } from '../ranking/ranking.service';
import { rankingProfile } from '../ranking/ranking-profiles';
import {
  EMPTY_USER_SIGNALS,
  RANKING_SIGNALS,
  RankedItem,
  RankingCandidate,
  RankingSignal,
  UserSignals,
} from '../ranking/ranking.types';
import { streamSnapshot } from '../test-support/stream-snapshot.factory';
import { FeedPage, decimal, feedPageJson, itemJsonHead, roundedDecimal } from './feed-response.json';
import { JsonBytesWriter } from './json-bytes.writer';
import { FeedResponseDto } from './feed.dto';
import { toItem } from './feed.service';

const NOW = 1_764_000_000_000;

const STRINGS = [
  'st1',
  'Vintage "watches" \\ live',
  'émoji 🎥 ok',
  'tab\there\nnewline',
  '\u0000\u001f',
  '\ud800 lone',
  '',
];

/** The documented response of a page: what feedPageJson must write, as JSON.stringify writes it. */
const reference = (page: FeedPage): string =>
  JSON.stringify({ ...page, items: page.items.map(toItem) } satisfies FeedResponseDto);

/** feedPageJson's bytes as text, after checking they are exactly the reference's UTF-8. */
function written(page: FeedPage): string {
  const bytes = feedPageJson(page);
  const text = bytes.toString('utf8');
  expect(text).toBe(reference(page));
  expect(bytes.equals(Buffer.from(reference(page), 'utf8'))).toBe(true);
  return text;
}

function candidateOf(random: () => number): RankingCandidate {
  const pick = (): string => STRINGS[Math.floor(random() * STRINGS.length)];
  const c: RankingCandidate = {
    streamId: pick(),
    sellerId: pick(),
    title: pick(),
    category: pick(),
    language: 'en',
    startedAt: 0,
    live: true,
  };
  // half with the metrics cache's precomputed start, half written on the fly
  if (random() < 0.5) c.jsonHead = itemJsonHead(c);
  return c;
}

function pageOf(random: () => number, value: () => number): FeedPage {
  const pick = (): string => STRINGS[Math.floor(random() * STRINGS.length)];
  const items: RankedItem[] = Array.from({ length: Math.floor(random() * 25) }, () => ({
    candidate: candidateOf(random),
    score: value(),
    reasons: Object.fromEntries(RANKING_SIGNALS.map((s) => [s, value()])) as Record<RankingSignal, number>,
  }));
  return {
    items,
    asOf: random() < 0.3 ? null : Math.floor(1.7e12 + random() * 1e11),
    generatedAt: Math.floor(1.7e12 + random() * 1e11),
    requestId: pick(),
    rankingProfile: pick(),
    nextCursor: random() < 0.5 ? null : pick(),
    stale: random() < 0.5,
    degraded: random() < 0.5,
  };
}

describe('feedPageJson', () => {
  it('writes what JSON.stringify writes of the documented DTOs, for raw scores and any numbers', () => {
    const random = seededRandom(7);
    const raw = (): number => (random() - 0.4) * 3;
    const anything = (): number =>
      [random() * 1e9, -random() * 1e-5, 1e-7 * random(), 2 ** 60, -0, 0.1 + 0.2, NaN, -Infinity, 5e-5][
        Math.floor(random() * 9)
      ];
    for (let i = 0; i < 300; i++) {
      const page = pageOf(random, i % 2 === 0 ? raw : anything);
      expect(written(page)).toBe(reference(page));
    }
  });

  it("writes the ranker's own page items (contributions read without a reasons object)", () => {
    const random = seededRandom(3);
    const candidates = Array.from({ length: 60 }, (_, i): RankingCandidate => {
      const c: RankingCandidate = {
        ...candidateOf(random),
        streamId: `st${i}`,
        sellerId: `s${i % 7}`,
        category: `c${i % 5}`,
        startedAt: NOW - Math.floor(random() * 3_600_000),
        similarity: random() < 0.7 ? random() * 2 - 0.5 : undefined,
        metrics: {
          viewers: i * 7,
          viewerVelocity: i - 30,
          bidsPerMin: i % 4,
          chatsPerMin: i,
          gmvPerMin: i * 3,
        },
      };
      // the start as the metrics cache would keep it, for half of them
      c.jsonHead = i % 2 === 0 ? itemJsonHead(c) : undefined;
      return c;
    });
    const user: UserSignals = {
      ...EMPTY_USER_SIGNALS,
      sellerWeights: new Map([
        ['s1', 3],
        ['s2', 1],
      ]),
      follows: new Set(['s3']),
      shown: new Map([['st4', { impressions: 5, clicks: 0, lastShownAt: NOW - 1_000 }]]),
    };
    const { items } = new RankingService().rankPage({
      candidates,
      user,
      profile: rankingProfile('balanced', { maxPerSeller: 3, maxPerCategory: 5 }),
      now: NOW,
      limit: 20,
    });
    expect(items.length).toBe(20);
    expect(items.every((item) => item instanceof RankedPageItem)).toBe(true);
    written({ ...pageOf(random, () => 0), items });
  });

  it('keeps every field of the DTOs (typed: a field added to them must be written here too)', () => {
    const candidate: RankingCandidate = {
      streamId: 'st1',
      sellerId: 's1',
      title: 't',
      category: 'c',
      language: 'en',
      startedAt: 0,
      live: true,
    };
    const reasons = Object.fromEntries(RANKING_SIGNALS.map((s) => [s, 0.5])) as Record<RankingSignal, number>;
    const page: FeedPage = {
      items: [{ candidate, score: 1, reasons }],
      asOf: 1,
      generatedAt: 2,
      requestId: 'r',
      rankingProfile: 'balanced',
      nextCursor: 'c',
      stale: true,
      degraded: false,
    };
    const expected: FeedResponseDto = {
      ...page,
      items: [{ streamId: 'st1', sellerId: 's1', title: 't', category: 'c', score: 1, reasons }],
    };
    expect(JSON.parse(written(page))).toEqual(expected);
  });

  it("writes a live stream's cached start, rebuilt when its title, seller or category changes", () => {
    const cache = new LiveMetricsCache({ maxEnded: 10, trendingRefreshMs: 0 });
    const json = (): string => {
      const candidate = cache.liveCandidate('st1')!;
      const page: FeedPage = {
        items: [
          {
            candidate,
            score: 0.25,
            reasons: Object.fromEntries(RANKING_SIGNALS.map((s) => [s, 0.02])) as Record<
              RankingSignal,
              number
            >,
          },
        ],
        asOf: null,
        generatedAt: 1,
        requestId: 'r',
        rankingProfile: 'balanced',
        nextCursor: null,
        stale: false,
        degraded: false,
      };
      return written(page);
    };
    cache.apply(streamSnapshot('st1', { title: 'first "title"', viewers: 5 }));
    const head = cache.liveCandidate('st1')!.jsonHead;
    expect(head).toBeDefined();
    expect(json()).toContain('"title":"first \\"title\\""');
    // a metrics-only snapshot: a new candidate, the same start (not rebuilt)
    cache.apply(streamSnapshot('st1', { title: 'first "title"', viewers: 50 }));
    expect(cache.liveCandidate('st1')!.jsonHead).toBe(head);
    cache.apply(streamSnapshot('st1', { title: 'renamed' }));
    expect(json()).toContain('"title":"renamed"');
    expect(json()).not.toContain('first');
    cache.apply(streamSnapshot('st1', { title: 'renamed', sellerId: 'other-seller', category: 'coins' }));
    expect(json()).toContain('"sellerId":"other-seller","title":"renamed","category":"coins"');
    // ended, then live again in a slot another stream may have held
    cache.apply(streamSnapshot('st1', { live: false }));
    cache.apply(streamSnapshot('st2', { title: 'second' }));
    cache.apply(streamSnapshot('st1', { title: 'back' }));
    expect(json()).toContain('"streamId":"st1","sellerId":"seller-st1","title":"back"');
  });
});

describe('decimal', () => {
  it('matches String() on every ten-thousandth in [-50, 50] and on edge values', () => {
    for (let n = -500_000; n <= 500_000; n++) {
      const x = n / 1e4;
      if (decimal(x) !== String(x)) throw new Error(`decimal(${x}) = ${decimal(x)}`);
    }
    expect(decimal(-0)).toBe('0');
    expect(decimal(Number.NaN)).toBe('null');
    expect(decimal(Infinity)).toBe('null');
    expect(decimal(99_999_999.9999)).toBe('99999999.9999');
    expect(decimal(1e-7)).toBe(String(1e-7));
    expect(decimal(1764000000000)).toBe('1764000000000');
  });
});

describe('roundedDecimal', () => {
  it('is decimal() of the value rounded to 4 decimals as the DTO holds it (-0 and NaN as 0)', () => {
    const round4 = (x: number): number => Math.round(x * 1e4) / 1e4 || 0;
    const random = seededRandom(11);
    const edge = [0, -0, 5e-5, -5e-5, 0.00005, 0.99995, -0.99995, 1e8, -1e8, 1e12, 2 ** 60, NaN, Infinity];
    const values = [
      ...edge,
      ...Array.from({ length: 200_000 }, () => (random() - 0.5) * 10 ** (random() * 10 - 4)),
    ];
    const wrong = values.filter((x) => roundedDecimal(x) !== decimal(round4(x)));
    expect(wrong.map((x) => `${x} -> ${roundedDecimal(x)}`)).toEqual([]);
  });
});

describe('JsonBytesWriter', () => {
  it('writes n / 10^4 as decimal() does, digit by digit, across a growing buffer', () => {
    const writer = new JsonBytesWriter();
    const random = seededRandom(5);
    const ns = [0, -0, 1, -1, 9_999, 10_000, -10_000, 10_001, 123_450_000, 999_999_999_999, -999_999_999_999];
    for (let i = 0; i < 100_000; i++) ns.push(Math.round((random() - 0.5) * 10 ** Math.floor(random() * 13)));
    const expected: string[] = [];
    writer.reset();
    for (const n of ns) {
      writer.tenThousandths(n);
      writer.text(',');
      expected.push(decimal(n / 1e4));
    }
    expect(writer.copy().toString('latin1')).toBe(expected.join(',') + ',');
  });
});
