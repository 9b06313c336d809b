import { seededRandom } from '@app/vector-store';
import { RANKING_SIGNALS, RankingSignal } from '../ranking/ranking.types';
import { decimal, feedResponseJson } from './feed-response.json';
import { FeedItemDto, FeedResponseDto } from './feed.dto';

const STRINGS = [
  'st1',
  'Vintage "watches" \\ live',
  'émoji 🎥 ok',
  'tab\there\nnewline',
  '\u0000\u001f',
  '\ud800 lone',
  '',
];

function pageOf(random: () => number, value: () => number): FeedResponseDto {
  const pick = (): string => STRINGS[Math.floor(random() * STRINGS.length)];
  const items: FeedItemDto[] = Array.from({ length: Math.floor(random() * 25) }, () => ({
    streamId: pick(),
    sellerId: pick(),
    title: pick(),
    category: pick(),
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

describe('feedResponseJson', () => {
  it('writes what JSON.stringify writes, for values rounded to 4 decimals and for any others', () => {
    const random = seededRandom(7);
    const rounded = (): number => Math.round((random() - 0.4) * 3e4) / 1e4 || 0;
    const anything = (): number =>
      [random() * 1e9, -random(), 1e-7 * random(), 2 ** 60, -0, 0.1 + 0.2][Math.floor(random() * 6)];
    for (let i = 0; i < 300; i++) {
      const page = pageOf(random, i % 2 === 0 ? rounded : anything);
      expect(feedResponseJson(page)).toBe(JSON.stringify(page));
    }
  });

  it('keeps every field of the DTOs (typed: a field added to them must be written here too)', () => {
    const item: FeedItemDto = {
      streamId: 'st1',
      sellerId: 's1',
      title: 't',
      category: 'c',
      score: 1,
      reasons: {},
    };
    for (const signal of RANKING_SIGNALS) item.reasons[signal] = 0.5;
    const response: FeedResponseDto = {
      items: [item],
      asOf: 1,
      generatedAt: 2,
      requestId: 'r',
      rankingProfile: 'balanced',
      nextCursor: 'c',
      stale: true,
      degraded: false,
    };
    expect(JSON.parse(feedResponseJson(response))).toEqual(response);
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
