import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidMessageError } from '../events/invalid-message.error';
import { parseEnrichedEvent } from './enriched-event';

const fixture = (type: string) =>
  JSON.parse(readFileSync(join(__dirname, '../../fixtures/v1', `${type}.json`), 'utf8')) as Record<
    string,
    unknown
  >;

const context = { sellerId: 'seller-7', category: 'watches', language: 'en', live: true, ageMs: 1000 };

describe('parseEnrichedEvent', () => {
  it('accepts a known stream context, years after the event (rebuilds)', () => {
    const enriched = {
      ...fixture('bid.placed'),
      enrichment: { ingestedAt: 1, stream: context, followsSeller: true },
    };
    const event = parseEnrichedEvent(JSON.stringify(enriched));
    expect(event.enrichment).toEqual({ ingestedAt: 1, stream: context, followsSeller: true });
    expect(event.type).toBe('bid.placed');
  });

  it('accepts the unknown markers', () => {
    const enriched = {
      ...fixture('chat.message'),
      enrichment: { ingestedAt: 5, stream: 'unknown', followsSeller: null },
    };
    expect(parseEnrichedEvent(enriched).enrichment).toEqual({
      ingestedAt: 5,
      stream: 'unknown',
      followsSeller: null,
    });
  });

  it('names the bad enrichment field', () => {
    const bad = {
      ...fixture('chat.message'),
      enrichment: { ingestedAt: 5, stream: { ...context, live: 'yes' } },
    };
    expect(() => parseEnrichedEvent(bad)).toThrow(/enrichment.stream.live must be a boolean/);
    const missing = fixture('chat.message');
    expect(() => parseEnrichedEvent(missing)).toThrow(InvalidMessageError);
    const other = { ...fixture('chat.message'), enrichment: { ingestedAt: 5, stream: 'maybe' } };
    expect(() => parseEnrichedEvent(other)).toThrow(/enrichment.stream must be an object or "unknown"/);
  });
});
