import { parseStreamMetricsSnapshot } from './stream-metrics-snapshot';

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
