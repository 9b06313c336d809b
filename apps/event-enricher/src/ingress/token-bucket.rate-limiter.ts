export interface RateDecision {
  allowed: boolean;
  /** Seconds until a request would be allowed (for Retry-After), 0 when allowed. */
  retryAfterSec: number;
}

interface Bucket {
  tokens: number;
  /** Epoch ms of the last refill. */
  at: number;
}

/**
 * Per-key token bucket: `max` requests per `windowMs`, refilled continuously, bursts up to `max`.
 * Buckets exist only for authenticated keys (a handful), so memory stays bounded without an LRU.
 * In process: with N replicas the effective limit is N x max (documented in the README).
 */
export class TokenBucketRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly refillPerMs: number;

  constructor(
    private readonly max: number,
    windowMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.refillPerMs = max / windowMs;
  }

  take(key: string): RateDecision {
    const now = this.clock();
    const bucket = this.buckets.get(key) ?? { tokens: this.max, at: now };
    bucket.tokens = Math.min(this.max, bucket.tokens + (now - bucket.at) * this.refillPerMs);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, retryAfterSec: 0 };
    }
    return {
      allowed: false,
      retryAfterSec: Math.max(1, Math.ceil((1 - bucket.tokens) / this.refillPerMs / 1000)),
    };
  }
}
