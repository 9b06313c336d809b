import { RANKING_SIGNALS } from '../ranking/ranking.types';

/**
 * JSON schema of a 200 feed response (the shape of FeedResponseDto), given to Fastify so the
 * reply is serialised by fast-json-stringify, compiled once, instead of JSON.stringify: the
 * feed is the hot route (budget ~300 us of CPU a request). Keep it in step with FeedResponseDto:
 * a property missing here would be dropped from the response (feed-response.schema.spec checks it).
 */
export const FEED_RESPONSE_SCHEMA = {
  type: 'object',
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          streamId: { type: 'string' },
          sellerId: { type: 'string' },
          title: { type: 'string' },
          category: { type: 'string' },
          score: { type: 'number' },
          // toItem writes exactly the RANKING_SIGNALS, all named here: no additionalProperties,
          // whose per-key loop cost ~8 us of the ~30 us serialisation of a 20-item page
          reasons: {
            type: 'object',
            properties: Object.fromEntries(RANKING_SIGNALS.map((signal) => [signal, { type: 'number' }])),
          },
        },
      },
    },
    asOf: { type: ['number', 'null'] },
    generatedAt: { type: 'number' },
    requestId: { type: 'string' },
    rankingProfile: { type: 'string' },
    nextCursor: { type: ['string', 'null'] },
    stale: { type: 'boolean' },
    degraded: { type: 'boolean' },
  },
} as const;
