import type { ConnectionOptions } from "bullmq";
import type { RedisOptions } from "ioredis";
import type { Clock, Failpoints, Logger } from "@shiplog/core";
import { Defaults, optionChecks } from "@shiplog/core";
import type { AttributionSource } from "./attribution.js";
import type { CommitterMetrics } from "./metrics.js";
import type { RemoteOptions } from "./pusher.js";

export interface CommitterOptions {
  /** Local repository (bare is fine). Created if absent; an existing one is continued. */
  readonly repoPath: string;
  /** @defaultValue `Defaults.branch` ("main") */
  readonly branch?: string;
  /** Cluster name, written into every commit's `Shiplog-Cluster` trailer. */
  readonly cluster: string;
  /**
   * Redis connection (plain ioredis / BullMQ options, as `redisConnectionOptions` builds them) and key
   * prefix shared with the watcher and the notifier. The committer opens its own clients from it.
   */
  readonly queue: { readonly connection: RedisOptions; readonly prefix: string };
  /** A window closes after this long without events. @defaultValue `Defaults.quietPeriodMs` (5000) */
  readonly quietPeriodMs?: number;
  /** A window closes at this age even if events keep coming. @defaultValue `Defaults.maxWindowMs` (60000) */
  readonly maxWindowMs?: number;
  /**
   * A window closes at this many messages (bounds memory and lock upkeep). 50,000 until issue 14: at
   * 100,000 objects the held jobs of such a window took `shiplog run` to 590 MB, 10,000 to 393 MB.
   * @defaultValue 10000
   */
  readonly maxWindowEvents?: number;
  /**
   * A window closes once its messages hold this many bytes of content and paths (core's
   * `messageBytes`): a backlog of large objects is committed in several windows instead of all held at
   * once. @defaultValue 67108864 (64 MiB)
   */
  readonly maxWindowBytes?: number;
  /** Domain of author emails (`kubectl-edit@<domain>`). @defaultValue `Defaults.authorDomain` ("shiplog.local") */
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
  /** TTL of the one-committer-per-repo lease in Redis. @defaultValue `Defaults.lockTtlMs` (5000) */
  readonly lockTtlMs?: number;
  /** How often the holder renews the repo lock; must be below `lockTtlMs`. @defaultValue a third of `lockTtlMs` (at least 100) */
  readonly lockRenewIntervalMs?: number;
  /** How often an instance that waits for the repo lock tries to take it. @defaultValue a third of `lockTtlMs`, between 100 and 1000 */
  readonly lockRetryIntervalMs?: number;
  /** Lock key. @defaultValue derived from remote URL (or repo path) and branch */
  readonly lockKey?: string;
  /** How long a held job's lock lasts; extended while its window is open. @defaultValue 30000 */
  readonly jobLockMs?: number;
  /** How often the locks of held jobs are extended; must be below `jobLockMs`. @defaultValue a third of `jobLockMs` (at least 100) */
  readonly jobLockExtendIntervalMs?: number;
  /**
   * BullMQ's stalled-check interval of the events worker. The committer does not run BullMQ's
   * stalled checker (a new term takes orphans back itself); this sets the default `orphanWaitMs`.
   * @defaultValue 15000
   */
  readonly stalledIntervalMs?: number;
  /**
   * How long a new lock holder waits, at most, for the jobs a predecessor held to return to the queue
   * before it fetches newer ones. It takes them back itself once it holds the fence (`reclaimOrphans`),
   * so this only bounds a wait for jobs returned by someone else. @defaultValue `jobLockMs` + 3 × `stalledIntervalMs`
   */
  readonly orphanWaitMs?: number;
  /** How often it looks while waiting. @defaultValue half of `stalledIntervalMs` (at least 50) */
  readonly orphanPollIntervalMs?: number;
  /** With a window open and the queue empty, look again after at most this long. @defaultValue 25 */
  readonly pollIntervalMs?: number;
  /** Most job fetches in flight at once while a window is open and the queue has a backlog. @defaultValue 32 */
  readonly fetchAhead?: number;
  /**
   * First delay before a window that failed to commit is tried again (its jobs stay held); doubles per
   * failure up to `commitRetryMaxMs`, without jitter, and starts again for the next window. @defaultValue 1000
   */
  readonly commitRetryBaseMs?: number;
  /** Longest delay between attempts to commit a failing window. @defaultValue 60000 */
  readonly commitRetryMaxMs?: number;
  /** Lines of diff per change in published commits. @defaultValue 200 */
  readonly diffMaxLines?: number;
  /** Publish commits to the notifier queue. @defaultValue true */
  readonly publish?: boolean;
  /** How long `stop()` may take to finish the window, push and release. @defaultValue 30000 */
  readonly stopTimeoutMs?: number;
  /** Crash points armed by tests (`SHIPLOG_FAILPOINTS`). @defaultValue none */
  readonly failpoints?: Failpoints;
}

/** `RemoteOptions` with its timings filled in. */
export interface ResolvedRemote extends RemoteOptions {
  readonly pushIntervalMs: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly timeoutMs: number;
}

/** Every option with its default applied. */
export interface ResolvedOptions {
  /** `queue.connection` for BullMQ's queues and workers. */
  readonly connection: ConnectionOptions;
  readonly branch: string;
  readonly authorDomain: string;
  readonly remote: ResolvedRemote | undefined;
  readonly quietPeriodMs: number;
  readonly maxWindowMs: number;
  readonly maxWindowEvents: number;
  readonly maxWindowBytes: number;
  readonly lockTtlMs: number;
  readonly lockRenewIntervalMs: number;
  readonly lockRetryIntervalMs: number;
  readonly jobLockMs: number;
  readonly jobLockExtendIntervalMs: number;
  readonly stalledIntervalMs: number;
  readonly orphanWaitMs: number;
  readonly orphanPollIntervalMs: number;
  readonly pollIntervalMs: number;
  readonly fetchAhead: number;
  readonly commitRetryBaseMs: number;
  readonly commitRetryMaxMs: number;
  readonly diffMaxLines: number;
  readonly stopTimeoutMs: number;
}

const check = optionChecks("committer");

function resolveRemote(r: RemoteOptions): ResolvedRemote {
  check.nonEmpty("remote.url", r.url);
  if (r.sshKeyFile !== undefined) check.nonEmpty("remote.sshKeyFile", r.sshKeyFile);
  if (r.token !== undefined) check.nonEmpty("remote.token", r.token);
  if (r.knownHostsFile !== undefined) check.nonEmpty("remote.knownHostsFile", r.knownHostsFile);
  if (r.caFile !== undefined) check.nonEmpty("remote.caFile", r.caFile);
  const resolved = {
    ...r,
    pushIntervalMs: check.int("remote.pushIntervalMs", r.pushIntervalMs, Defaults.pushIntervalMs, 1),
    retryBaseMs: check.int("remote.retryBaseMs", r.retryBaseMs, 1000, 1),
    retryMaxMs: check.int("remote.retryMaxMs", r.retryMaxMs, 60000, 1),
    timeoutMs: check.int("remote.timeoutMs", r.timeoutMs, 120000, 1),
  };
  check.require(
    resolved.retryMaxMs >= resolved.retryBaseMs,
    "remote.retryMaxMs",
    `must be >= remote.retryBaseMs (${resolved.retryBaseMs})`,
  );
  return resolved;
}

/** Checks every option at construction; a bad value throws core's `ConfigError` naming `committer.<option>`. */
export function resolveOptions(o: CommitterOptions): ResolvedOptions {
  check.nonEmpty("repoPath", o.repoPath);
  check.nonEmpty("cluster", o.cluster);
  check.require(
    o.branch === undefined || /^[A-Za-z0-9._/-]+$/.test(o.branch),
    "branch",
    `not a valid branch name: ${JSON.stringify(o.branch)}`,
  );
  check.require(typeof o.queue === "object" && o.queue !== null, "queue", "is required");
  check.require(typeof o.queue.prefix === "string", "queue.prefix", "must be a string");
  check.require(
    o.authorDomain === undefined || /^[A-Za-z0-9.-]+$/.test(o.authorDomain),
    "authorDomain",
    `not a domain name: ${JSON.stringify(o.authorDomain)}`,
  );
  const remote = o.remote ? resolveRemote(o.remote) : undefined;
  const quietPeriodMs = check.int("quietPeriodMs", o.quietPeriodMs, Defaults.quietPeriodMs, 1);
  const maxWindowMs = check.int("maxWindowMs", o.maxWindowMs, Defaults.maxWindowMs, 1);
  check.require(maxWindowMs >= quietPeriodMs, "maxWindowMs", `must be >= quietPeriodMs (${quietPeriodMs})`);
  const lockTtlMs = check.int("lockTtlMs", o.lockTtlMs, Defaults.lockTtlMs, 300);
  const jobLockMs = check.int("jobLockMs", o.jobLockMs, 30000, 300);
  const stalledIntervalMs = check.int("stalledIntervalMs", o.stalledIntervalMs, 15000, 1);
  const lockThird = Math.max(100, Math.floor(lockTtlMs / 3));
  const commitRetryBaseMs = check.int("commitRetryBaseMs", o.commitRetryBaseMs, 1000, 1);
  const commitRetryMaxMs = check.int("commitRetryMaxMs", o.commitRetryMaxMs, 60000, commitRetryBaseMs);
  return {
    // The same object: BullMQ's type only leaves out ioredis's `retryStrategy: null` (never reconnect).
    connection: o.queue.connection as ConnectionOptions,
    branch: o.branch ?? Defaults.branch,
    authorDomain: o.authorDomain ?? Defaults.authorDomain,
    remote,
    quietPeriodMs,
    maxWindowMs,
    maxWindowEvents: check.int("maxWindowEvents", o.maxWindowEvents, Defaults.maxWindowEvents, 1),
    maxWindowBytes: check.int("maxWindowBytes", o.maxWindowBytes, Defaults.maxWindowBytes, 1024),
    lockTtlMs,
    lockRenewIntervalMs: check.int("lockRenewIntervalMs", o.lockRenewIntervalMs, lockThird, 1, lockTtlMs - 1),
    lockRetryIntervalMs: check.int(
      "lockRetryIntervalMs",
      o.lockRetryIntervalMs,
      Math.min(1000, lockThird),
      1,
    ),
    jobLockMs,
    jobLockExtendIntervalMs: check.int(
      "jobLockExtendIntervalMs",
      o.jobLockExtendIntervalMs,
      Math.max(100, Math.floor(jobLockMs / 3)),
      1,
      jobLockMs - 1,
    ),
    stalledIntervalMs,
    orphanWaitMs: check.int("orphanWaitMs", o.orphanWaitMs, jobLockMs + 3 * stalledIntervalMs, 0),
    orphanPollIntervalMs: check.int(
      "orphanPollIntervalMs",
      o.orphanPollIntervalMs,
      Math.max(50, Math.floor(stalledIntervalMs / 2)),
      1,
    ),
    pollIntervalMs: check.int("pollIntervalMs", o.pollIntervalMs, 25, 1),
    fetchAhead: check.int("fetchAhead", o.fetchAhead, 32, 1),
    commitRetryBaseMs,
    commitRetryMaxMs,
    diffMaxLines: check.int("diffMaxLines", o.diffMaxLines, 200, 1),
    stopTimeoutMs: check.int("stopTimeoutMs", o.stopTimeoutMs, 30000, 1),
  };
}
