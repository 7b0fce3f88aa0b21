import { WatcherOptionsError } from "./errors/watcher-options-error.js";

/**
 * Exponential backoff with jitter, as client-go's reflector uses it (800 ms doubling to 30 s, jitter
 * factor 1.0, reset after 2 minutes without a failure). Pure: time and randomness are injected.
 */
export interface BackoffOptions {
  /** @defaultValue 800 */
  initialMs?: number;
  /** @defaultValue 30000 */
  maxMs?: number;
  /** @defaultValue 2 */
  factor?: number;
  /** Each delay d becomes d + random() * jitter * d. @defaultValue 1 */
  jitter?: number;
  /** A failure more than this long after the previous one starts again from `initialMs`. @defaultValue 120000 */
  resetAfterMs?: number;
  /** @defaultValue Math.random */
  random?: () => number;
}

export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #factor: number;
  readonly #jitter: number;
  readonly #resetAfterMs: number;
  readonly #random: () => number;
  #current = 0;
  #lastFailureAt: number | undefined;

  constructor(opts: BackoffOptions = {}) {
    this.#initialMs = positive("initialMs", opts.initialMs ?? 800);
    this.#maxMs = positive("maxMs", opts.maxMs ?? 30_000);
    if (this.#maxMs < this.#initialMs) throw new WatcherOptionsError("backoff.maxMs", "must be >= initialMs");
    this.#factor = opts.factor ?? 2;
    if (!(this.#factor >= 1)) throw new WatcherOptionsError("backoff.factor", "must be >= 1");
    this.#jitter = opts.jitter ?? 1;
    if (!(this.#jitter >= 0)) throw new WatcherOptionsError("backoff.jitter", "must be >= 0");
    this.#resetAfterMs = positive("resetAfterMs", opts.resetAfterMs ?? 120_000);
    this.#random = opts.random ?? Math.random;
  }

  /**
   * The delay before the next attempt after a failure at `now`. A server-provided `retryAfterMs`
   * (HTTP 429 `Retry-After`) is honoured as a lower bound.
   */
  next(now: number, retryAfterMs?: number): number {
    if (this.#lastFailureAt !== undefined && now - this.#lastFailureAt > this.#resetAfterMs)
      this.#current = 0;
    this.#lastFailureAt = now;
    this.#current =
      this.#current === 0 ? this.#initialMs : Math.min(this.#current * this.#factor, this.#maxMs);
    const jittered = this.#current + this.#random() * this.#jitter * this.#current;
    return Math.max(Math.round(jittered), retryAfterMs ?? 0);
  }

  /** Forget past failures (call after a success that proves the server is healthy). */
  reset(): void {
    this.#current = 0;
    this.#lastFailureAt = undefined;
  }
}

function positive(field: string, v: number): number {
  if (!Number.isFinite(v) || v <= 0)
    throw new WatcherOptionsError(`backoff.${field}`, "must be a positive number");
  return v;
}
