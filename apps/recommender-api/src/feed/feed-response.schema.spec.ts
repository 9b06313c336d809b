import { RANKING_SIGNALS } from '../ranking/ranking.types';
import { FEED_RESPONSE_SCHEMA } from './feed-response.schema';
import { FeedItemDto, FeedResponseDto } from './feed.dto';

// Typed as the DTOs: a field added to them must be added here, and then to the schema, or
// fast-json-stringify would silently drop it from every feed response.
const item: FeedItemDto = {
  streamId: 'st1',
  sellerId: 's1',
  title: 't',
  category: 'c',
  score: 1,
  reasons: { similarity: 1 },
};
const response: FeedResponseDto = {
  items: [item],
  asOf: null,
  generatedAt: 1,
  requestId: 'r',
  rankingProfile: 'balanced',
  nextCursor: null,
  stale: false,
  degraded: false,
};

describe('FEED_RESPONSE_SCHEMA', () => {
  it('names every field of FeedResponseDto and FeedItemDto, and every ranking signal', () => {
    const { properties } = FEED_RESPONSE_SCHEMA;
    expect(Object.keys(properties).sort()).toEqual(Object.keys(response).sort());
    const itemProperties = properties.items.items.properties;
    expect(Object.keys(itemProperties).sort()).toEqual(Object.keys(item).sort());
    expect(Object.keys(itemProperties.reasons.properties).sort()).toEqual([...RANKING_SIGNALS].sort());
  });
});
