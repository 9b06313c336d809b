import { retryDelayMs } from './retry.backoff';

describe('retryDelayMs', () => {
  const options = { initialMs: 100, maxMs: 1_000, multiplier: 2 };
  const noJitter = (): number => 0.5;

  it('grows exponentially from the initial delay', () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(attempt, options, noJitter))).toEqual([
      100, 200, 400, 800,
    ]);
  });

  it('is capped at maxMs even with jitter', () => {
    expect(retryDelayMs(10, options, () => 1)).toBe(1_000);
    expect(retryDelayMs(50, options, noJitter)).toBe(1_000);
  });

  it('jitters within +-20 %', () => {
    expect(retryDelayMs(1, options, () => 0)).toBe(80);
    expect(retryDelayMs(1, options, () => 0.999)).toBeLessThanOrEqual(120);
  });
});
