import { ConfigError } from "./config-error.js";

/**
 * Exponential backoff with jitter, with client-go's reflector parameters as defaults (800 ms doubling
 * to 30 s, jitter factor 1.0, reset after 2 minutes without a failure). The one backoff of the
 * pipeline: the watcher's reconnects, the committer's retries, the pusher and the notifier's HTTP
 * retries all use it, each with its own documented parameters. Pure: time and randomness are injected.
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
    if (this.#maxMs < this.#initialMs) throw new ConfigError("backoff.maxMs", "must be >= initialMs");
    this.#factor = opts.factor ?? 2;
    if (!(this.#factor >= 1)) throw new ConfigError("backoff.factor", "must be >= 1");
    this.#jitter = opts.jitter ?? 1;
    if (!(this.#jitter >= 0)) throw new ConfigError("backoff.jitter", "must be >= 0");
    this.#resetAfterMs = positive("resetAfterMs", opts.resetAfterMs ?? 120_000);
    this.#random = opts.random ?? Math.random;
  }

  /**
   * The delay before the next attempt after a failure at `now`. A server-provided `retryAfterMs`
   * (HTTP 429/503 `Retry-After`) is honoured as a lower bound.
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
  if (!Number.isFinite(v) || v <= 0) throw new ConfigError(`backoff.${field}`, "must be a positive number");
  return v;
}

/**
 * Milliseconds a `Retry-After` header asks for (delta-seconds or an HTTP date, RFC 9110 §10.2.3), or
 * `undefined` when absent or unparseable.
 */
export function parseRetryAfter(header: string | null | undefined, now: number): number | undefined {
  if (header === null || header === undefined) return undefined;
  const h = header.trim();
  if (/^\d+$/.test(h)) return Number(h) * 1000;
  if (/^\d+\.\d+$/.test(h)) return Math.ceil(Number(h) * 1000);
  const at = Date.parse(h);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
