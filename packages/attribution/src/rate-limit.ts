/**
 * Token buckets per caller: `perSecond` tokens are added each second up to `burst`, and each request
 * takes one. Callers are keyed by the receiver (endpoint and remote address). The number of buckets is
 * bounded: when full, the bucket that was used longest ago is dropped (a dropped caller starts full).
 */
import type { Clock } from "@shiplog/core";

export interface BucketLimit {
  /** Sustained requests per second per caller. */
  readonly perSecond: number;
  /** Requests a caller may make at once after being idle. */
  readonly burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limit: BucketLimit,
    private readonly clock: Clock,
    private readonly maxBuckets = 10_000,
  ) {}

  /** Takes a token from `key`'s bucket; false when it is empty (the caller gets a 429). */
  take(key: string): boolean {
    const now = this.clock.now();
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= this.maxBuckets) {
        const oldest = this.buckets.keys().next();
        if (oldest.done !== true) this.buckets.delete(oldest.value);
      }
      b = { tokens: this.limit.burst, at: now };
    } else {
      this.buckets.delete(key); // re-inserted below: Map order is least recently used first
      const refill = (Math.max(0, now - b.at) / 1000) * this.limit.perSecond;
      b = { tokens: Math.min(this.limit.burst, b.tokens + refill), at: now };
    }
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.buckets.set(key, b);
    return ok;
  }
}
