import type { ConnectionOptions } from "bullmq";
import type { AttributionSource } from "./attribution.js";
import type { Clock } from "./clock.js";
import { CommitterConfigError } from "./errors/committer-config-error.js";
import type { Logger } from "./logger.js";
import type { CommitterMetrics } from "./metrics.js";
import type { RemoteOptions } from "./pusher.js";

export interface CommitterOptions {
  /** Local repository (bare is fine). Created if absent; an existing one is continued. */
  readonly repoPath: string;
  /** @defaultValue "main" */
  readonly branch?: string;
  /** Cluster name, written into every commit's `Shiplog-Cluster` trailer. */
  readonly cluster: string;
  /** BullMQ connection and key prefix shared with the watcher and the notifier. */
  readonly queue: { readonly connection: ConnectionOptions; readonly prefix: string };
  /** A window closes after this long without events. @defaultValue 5000 */
  readonly quietPeriodMs?: number;
  /** A window closes at this age even if events keep coming. @defaultValue 60000 */
  readonly maxWindowMs?: number;
  /** A window closes at this many messages (bounds memory and lock upkeep). @defaultValue 50000 */
  readonly maxWindowEvents?: number;
  /** Domain of author emails (`kubectl-edit@<domain>`). @defaultValue "shiplog.invalid" */
  readonly authorDomain?: string;
  /** Who made a change. @defaultValue field manager (`FieldManagerAttribution`) */
  readonly attribution?: AttributionSource;
  /** Optional push target. */
  readonly remote?: RemoteOptions;
  /** @defaultValue silent */
  readonly logger?: Logger;
  /** @defaultValue system clock */
  readonly clock?: Clock;
  /** @defaultValue a private registry */
  readonly metrics?: CommitterMetrics;
  /** TTL of the one-committer-per-repo lock in Redis; renewed every third of it. @defaultValue 30000 */
  readonly lockTtlMs?: number;
  /** Lock key. @defaultValue derived from remote URL (or repo path) and branch */
  readonly lockKey?: string;
  /** How long a held job's lock lasts; extended while its window is open. @defaultValue 30000 */
  readonly jobLockMs?: number;
  /** How often stalled jobs (of a dead committer) are put back. @defaultValue 15000 */
  readonly stalledIntervalMs?: number;
  /** Lines of diff per change in published commits. @defaultValue 200 */
  readonly diffMaxLines?: number;
  /** Publish commits to the notifier queue. @defaultValue true */
  readonly publish?: boolean;
  /** How long `stop()` may take to finish the window, push and release. @defaultValue 30000 */
  readonly stopTimeoutMs?: number;
}

function positiveInt(field: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v <= 0 || !Number.isInteger(v)) {
    throw new CommitterConfigError(field, `must be a positive integer, got ${String(value)}`);
  }
  return v;
}

function nonEmpty(field: string, value: unknown): string {
  if (typeof value !== "string" || value.trim() === "")
    throw new CommitterConfigError(field, "must be a non-empty string");
  return value;
}

export interface ResolvedTimings {
  readonly quietPeriodMs: number;
  readonly maxWindowMs: number;
  readonly maxWindowEvents: number;
  readonly lockTtlMs: number;
  readonly jobLockMs: number;
  readonly stalledIntervalMs: number;
  readonly diffMaxLines: number;
  readonly stopTimeoutMs: number;
}

/** Checks every option at construction; a bad value throws CommitterConfigError naming the field. */
export function resolveTimings(o: CommitterOptions): ResolvedTimings {
  nonEmpty("repoPath", o.repoPath);
  nonEmpty("cluster", o.cluster);
  if (o.branch !== undefined && !/^[A-Za-z0-9._/-]+$/.test(o.branch)) {
    throw new CommitterConfigError("branch", `not a valid branch name: ${JSON.stringify(o.branch)}`);
  }
  if (typeof o.queue !== "object" || o.queue === null) throw new CommitterConfigError("queue", "is required");
  if (typeof o.queue.prefix !== "string") throw new CommitterConfigError("queue.prefix", "must be a string");
  if (o.authorDomain !== undefined && !/^[A-Za-z0-9.-]+$/.test(o.authorDomain)) {
    throw new CommitterConfigError("authorDomain", `not a domain name: ${JSON.stringify(o.authorDomain)}`);
  }
  if (o.remote) {
    nonEmpty("remote.url", o.remote.url);
    if (o.remote.sshKeyFile !== undefined) nonEmpty("remote.sshKeyFile", o.remote.sshKeyFile);
    if (o.remote.token !== undefined) nonEmpty("remote.token", o.remote.token);
    positiveInt("remote.pushIntervalMs", o.remote.pushIntervalMs, 1000);
    positiveInt("remote.retryBaseMs", o.remote.retryBaseMs, 1000);
    positiveInt("remote.retryMaxMs", o.remote.retryMaxMs, 60000);
  }
  const t = {
    quietPeriodMs: positiveInt("quietPeriodMs", o.quietPeriodMs, 5000),
    maxWindowMs: positiveInt("maxWindowMs", o.maxWindowMs, 60000),
    maxWindowEvents: positiveInt("maxWindowEvents", o.maxWindowEvents, 50000),
    lockTtlMs: positiveInt("lockTtlMs", o.lockTtlMs, 30000),
    jobLockMs: positiveInt("jobLockMs", o.jobLockMs, 30000),
    stalledIntervalMs: positiveInt("stalledIntervalMs", o.stalledIntervalMs, 15000),
    diffMaxLines: positiveInt("diffMaxLines", o.diffMaxLines, 200),
    stopTimeoutMs: positiveInt("stopTimeoutMs", o.stopTimeoutMs, 30000),
  };
  if (t.maxWindowMs < t.quietPeriodMs) {
    throw new CommitterConfigError("maxWindowMs", `must be >= quietPeriodMs (${t.quietPeriodMs})`);
  }
  if (t.lockTtlMs < 300) throw new CommitterConfigError("lockTtlMs", "must be at least 300 ms");
  if (t.jobLockMs < 300) throw new CommitterConfigError("jobLockMs", "must be at least 300 ms");
  return t;
}
