import { TokenBucketRateLimiter } from './token-bucket.rate-limiter';

describe('TokenBucketRateLimiter', () => {
  it('allows a burst of max, then refuses with Retry-After until refilled', () => {
    let now = 1_000;
    const limiter = new TokenBucketRateLimiter(3, 3_000, () => now);
    expect([1, 2, 3].map(() => limiter.take('k').allowed)).toEqual([true, true, true]);
    expect(limiter.take('k')).toEqual({ allowed: false, retryAfterSec: 1 });
    now += 1_000; // one token per second
    expect(limiter.take('k').allowed).toBe(true);
    expect(limiter.take('k').allowed).toBe(false);
  });

  it('keeps one bucket per key', () => {
    const limiter = new TokenBucketRateLimiter(1, 60_000, () => 0);
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSec: 60 });
    expect(limiter.take('b').allowed).toBe(true);
  });

  it('max 0 disables limiting', () => {
    const limiter = new TokenBucketRateLimiter(0, 1_000, () => 0);
    expect(Array.from({ length: 100 }, () => limiter.take('k').allowed).every(Boolean)).toBe(true);
  });

  it('gives no extra tokens when the clock steps back', () => {
    let now = 10_000;
    const limiter = new TokenBucketRateLimiter(1, 1_000, () => now);
    expect(limiter.take('k').allowed).toBe(true);
    now -= 5_000;
    expect(limiter.take('k').allowed).toBe(false);
    now = 10_500; // half a window after the first take: the step back refilled nothing
    expect(limiter.take('k').allowed).toBe(false);
    now = 11_000;
    expect(limiter.take('k').allowed).toBe(true);
  });
});
