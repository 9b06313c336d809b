import { Enrichment, UNKNOWN } from '@app/contracts';
import { enrichmentJson } from './enrichment.json';

describe('enrichmentJson', () => {
  const stream = { sellerId: 'seller-1', category: 'sneakers', language: 'pt-BR', live: true, ageMs: 1234 };
  const cases: Enrichment[] = [
    { ingestedAt: 1_764_150_000_000 },
    { ingestedAt: 1_764_150_000_000, stream: UNKNOWN },
    { ingestedAt: 1_764_150_000_000, stream: UNKNOWN, followsSeller: null },
    { ingestedAt: 1_764_150_000_000, stream, followsSeller: true },
    { ingestedAt: 1_764_150_000_000, stream: { ...stream, live: false, ageMs: 0 }, followsSeller: false },
    { ingestedAt: 1_764_150_000_000, stream: { ...stream, sellerId: 'a"b\\c\n\u2028é', category: '' } },
    { ingestedAt: Number.NaN, stream: { ...stream, ageMs: Number.POSITIVE_INFINITY } },
  ];

  it.each(cases)('writes the same text as JSON.stringify (%j)', (enrichment) => {
    expect(enrichmentJson(enrichment)).toBe(JSON.stringify(enrichment));
  });
});
