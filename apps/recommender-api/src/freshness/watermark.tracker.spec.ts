import { WatermarkTracker } from './watermark.tracker';

const rec = (value: object) => ({ key: 'k', value: Buffer.from(JSON.stringify(value)), timestamp: 0 });

describe('WatermarkTracker', () => {
  const sources = ['metrics-aggregator', 'embedding-writer'];

  it('is null until every source published, then the minimum over both record shapes', () => {
    const t = new WatermarkTracker({ sources, idleAfterMs: 5_000 });
    t.applyRecords([
      rec({ source: 'metrics-aggregator', topic: 'e', partition: 0, eventTime: 100, updatedAt: 1_000 }),
    ]);
    expect(t.asOf()).toBeNull();
    t.applyRecords([
      rec({
        service: 'embedding-writer',
        topic: 'e',
        partition: 0,
        eventTime: 80,
        publishedAt: 1_000,
        offset: '3',
      }),
    ]);
    expect(t.asOf()).toBe(80);
  });

  it('ignores idle partitions and never moves a partition backwards', () => {
    const t = new WatermarkTracker({ sources: ['a'], idleAfterMs: 5_000 });
    t.apply({ source: 'a', topic: 'e', partition: 0, eventTime: 10, updatedAt: 1_000 });
    t.apply({ source: 'a', topic: 'e', partition: 1, eventTime: 500, updatedAt: 20_000 });
    expect(t.asOf()).toBe(500);
    t.apply({ source: 'a', topic: 'e', partition: 1, eventTime: 400, updatedAt: 21_000 });
    expect(t.asOf()).toBe(500);
  });

  it('waitFor resolves when asOf reaches minAsOf, false on timeout', async () => {
    const t = new WatermarkTracker({ sources: ['a'], idleAfterMs: 5_000 });
    const early = t.waitFor(200, 1_000);
    t.apply({ source: 'a', topic: 'e', partition: 0, eventTime: 150, updatedAt: 1 });
    t.applyRecords([rec({ source: 'a', topic: 'e', partition: 0, eventTime: 250, updatedAt: 2 })]);
    await expect(early).resolves.toBe(true);
    await expect(t.waitFor(1_000, 20)).resolves.toBe(false);
  });

  it('counts malformed records', () => {
    const t = new WatermarkTracker({ sources: ['a'], idleAfterMs: 5_000 });
    t.applyRecords([{ key: 'k', value: Buffer.from('{nope'), timestamp: 0 }, rec({ source: 'a' })]);
    expect(t.invalid).toBe(2);
  });
});
