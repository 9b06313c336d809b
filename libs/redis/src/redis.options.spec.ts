import { reconnectDelayMs, toIoredisOptions } from './redis.options';

describe('reconnectDelayMs', () => {
  it('doubles from 50 ms up to a 2 s cap', () => {
    const mid = (): number => 0.5; // no jitter
    expect([1, 2, 3, 4, 5, 6, 7, 100].map((n) => reconnectDelayMs(n, mid))).toEqual([
      50, 100, 200, 400, 800, 1600, 2000, 2000,
    ]);
  });

  it('jitters within +-20%', () => {
    expect(reconnectDelayMs(7, () => 0)).toBe(1600);
    expect(reconnectDelayMs(7, () => 1)).toBe(2400);
  });
});

describe('toIoredisOptions', () => {
  it('queues commands during outages by default and never stops reconnecting', () => {
    const options = toIoredisOptions({ url: 'redis://127.0.0.1:1', keyPrefix: 'p:' });
    expect(options.maxRetriesPerRequest).toBeNull();
    expect(options.keyPrefix).toBe('p:');
    expect(options.retryStrategy?.(10_000)).toEqual(expect.any(Number));
  });

  it('keeps an explicit bound', () => {
    expect(toIoredisOptions({ url: 'redis://x', maxRetriesPerRequest: 2 }).maxRetriesPerRequest).toBe(2);
  });
});
