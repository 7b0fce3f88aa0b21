/**
 * Notifier options, with documented defaults, checked once at construction. Sinks arrive as core's
 * config schema checked them (`SinkTarget`), so only the notifier's own options are checked here; a bad
 * value throws core's `ConfigError` naming `notifier.<option>`.
 */
import type { RedisOptions } from "bullmq";
import type { Clock, Logger, SinkTarget } from "@shiplog/core";
import { isRecord, optionChecks } from "@shiplog/core";
import type { NotifierMetrics } from "./metrics.js";

export interface NotifierOptions {
  /**
   * Plain Redis connection options (as core's `redisConnectionOptions` builds them) and the key prefix
   * of the deployment; the commits queue is `QueueNames.commits`.
   */
  queue: { connection: RedisOptions; prefix: string };
  /**
   * The sinks as core's config schema checked and defaulted them (unique names, routes, rateLimit,
   * maxAttempts), with `url` and `secret` already read from their files. Not checked again here.
   */
  sinks: readonly SinkTarget[];
  /**
   * Link to a commit: `{sha}`, `{shortSha}`, `{branch}` and `{cluster}` (core's
   * `COMMIT_URL_PLACEHOLDERS`) are replaced, e.g. `https://github.com/acme/history/commit/{sha}`.
   * Checked by core's schema. Without it messages carry no link.
   */
  commitUrlTemplate?: string;
  /** @defaultValue core's `silentLogger` */
  logger?: Logger;
  /** @defaultValue core's `systemClock` */
  clock?: Clock;
  /** @defaultValue `createNotifierMetrics()` on a private registry */
  metrics?: NotifierMetrics;
  /** @defaultValue `globalThis.fetch` */
  fetch?: typeof fetch;
  /**
   * Length of the "minute" of `rateLimit` (perMinute and digestAfter). Only tests shorten it.
   * @defaultValue 60000
   */
  rateWindowMs?: number;
  /**
   * First retry delay; doubles per attempt (core's `Backoff`, no jitter). A `Retry-After` from the
   * receiver replaces it.
   * @defaultValue 1000
   */
  retryBaseDelayMs?: number;
  /**
   * Upper bound for any retry delay, including one asked for by `Retry-After`.
   * @defaultValue 600000 (10 minutes)
   */
  retryMaxDelayMs?: number;
  /**
   * Time allowed for one HTTP request to a sink.
   * @defaultValue 10000
   */
  requestTimeoutMs?: number;
  /**
   * Diff lines shown per changed object before the rest is cut (and the cut is said).
   * @defaultValue 40
   */
  maxDiffLines?: number;
}

export interface ResolvedOptions {
  readonly commitUrlTemplate: string | undefined;
  readonly rateWindowMs: number;
  readonly retryBaseDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly requestTimeoutMs: number;
  readonly maxDiffLines: number;
}

const check = optionChecks("notifier");

/** Check the notifier's own options once; throws `ConfigError` naming `notifier.<option>`. */
export function resolveOptions(opts: NotifierOptions): ResolvedOptions {
  check.nonEmpty("queue.prefix", opts.queue?.prefix);
  check.require(isRecord(opts.queue.connection), "queue.connection", "expected Redis connection options");
  return {
    commitUrlTemplate: opts.commitUrlTemplate,
    rateWindowMs: check.int("rateWindowMs", opts.rateWindowMs, 60_000, 1),
    retryBaseDelayMs: check.int("retryBaseDelayMs", opts.retryBaseDelayMs, 1000, 1),
    retryMaxDelayMs: check.int("retryMaxDelayMs", opts.retryMaxDelayMs, 600_000, 1),
    requestTimeoutMs: check.int("requestTimeoutMs", opts.requestTimeoutMs, 10_000, 1),
    maxDiffLines: check.int("maxDiffLines", opts.maxDiffLines, 40, 1),
  };
}
