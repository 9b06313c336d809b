import { StreamMetricsSnapshot, WindowRates } from '@app/contracts';

const RATES: WindowRates = {
  chats: 6,
  bids: 2,
  uniqueBidders: 1,
  purchases: 0,
  gmv: 40,
  giveaways: 0,
  newViewers: 1,
};

/** A valid metrics change-feed record for tests and benchmarks (live, 10 viewers, modest rates). */
export function streamSnapshot(
  id: string,
  overrides: Partial<StreamMetricsSnapshot> = {},
): StreamMetricsSnapshot {
  return {
    streamId: id,
    live: true,
    sellerId: `seller-${id}`,
    category: 'cards',
    language: 'en',
    title: `show ${id}`,
    startedAt: 1_000,
    viewers: 10,
    peakViewers: 12,
    uniqueViewers: 20,
    rates: { '1m': RATES, '5m': RATES, '15m': RATES },
    viewerVelocity: 1,
    engagementScore: 5,
    lifetime: { chats: 1, bids: 2, purchases: 0, gmvByCurrency: {}, giveawayEntries: 0, uniqueViewers: 20 },
    lastEventAt: 2_000,
    updatedAt: 2_000,
    ...overrides,
  };
}
