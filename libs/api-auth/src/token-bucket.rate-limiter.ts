export interface RateDecision {
  allowed: boolean;
  /** Whole seconds until one request would be allowed (the Retry-After value), 0 when allowed. */
  retryAfterSec: number;
}

// one frozen verdict shared by every allowed request: no allocation on the hot path
const ALLOWED: RateDecision = Object.freeze({ allowed: true, retryAfterSec: 0 });

interface Bucket {
  tokens: number;
  /** Epoch ms of the last refill. */
  at: number;
}

/**
 * Per-key token bucket: `max` requests per `windowMs`, refilled continuously, bursts up to `max`.
 * Buckets exist only for authenticated keys (a handful, or the one `open` bucket), so memory
 * stays bounded without an LRU. In process: with N replicas the effective limit is N x max.
 * `max` 0 disables limiting.
 */
export class TokenBucketRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly refillPerMs: number;

  constructor(
    private readonly max: number,
    windowMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.refillPerMs = windowMs > 0 ? max / windowMs : 0;
  }

  get enabled(): boolean {
    return this.max > 0 && this.refillPerMs > 0;
  }

  take(key: string): RateDecision {
    if (!this.enabled) return ALLOWED;
    const now = this.clock();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: this.max, at: now };
      this.buckets.set(key, bucket);
    } else if (now > bucket.at) {
      bucket.tokens = Math.min(this.max, bucket.tokens + (now - bucket.at) * this.refillPerMs);
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return ALLOWED;
    }
    return {
      allowed: false,
      retryAfterSec: Math.max(1, Math.ceil((1 - bucket.tokens) / this.refillPerMs / 1000)),
    };
  }
}
