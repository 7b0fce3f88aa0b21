import type { Canonicalizer, Clock, Logger } from "@shiplog/core";
import { Defaults, optionChecks } from "@shiplog/core";
import type { ConnectionOptions } from "bullmq";
import type { ApiClientLike } from "./api-client.js";
import type { WatcherMetrics } from "./metrics.js";
import type { Selection } from "./type-filter.js";
import type { KubeAccess } from "./kube-access.js";

export interface WatcherOptions {
  /** Cluster and credentials. Only its connection and authentication are used. */
  kubeConfig: KubeAccess;
  /** BullMQ connection (ioredis options or an ioredis instance) and key prefix. */
  queue: { connection: ConnectionOptions; prefix: string };
  /** core's canonicalizer (normalise + protect). */
  canonicalizer: Canonicalizer;
  /** Only these groups/resources (type ids)/namespaces. Absent or empty: everything. */
  include?: Selection;
  /** Never these; wins over `include`. */
  exclude?: Selection;
  /**
   * Type ids the caller already found forbidden (the RBAC preflight): not watched, but reported to the
   * committer as recorded, so their files stay in Git (a forbidden type is not a deletion).
   */
  forbidden?: readonly string[];
  /**
   * Resume watches after a restart (ADR 0038): the resourceVersion each type was queued up to is kept
   * in Redis under `scope`, a fingerprint of everything that decides what is recorded and how (the
   * caller's selection, normalisation and secret settings, version). A start under the same scope
   * watches from there instead of listing. `ignoreStored`: list anyway this time (the repository has
   * no history to resume), then keep checkpoints as usual. Absent: every start lists.
   */
  resume?: { scope: string; ignoreStored?: boolean };
  /** Kubernetes label selector applied to every list and watch. */
  labelSelector?: string;
  /** Objects per list page. @defaultValue `Defaults.pageSize` (500) */
  pageSize?: number;
  /**
   * List by streaming watches (`sendInitialEvents`, WatchList; ADR 0043) where the apiserver offers
   * them, in pages elsewhere. @defaultValue true
   */
  streamingLists?: boolean;
  /** Periodic rediscovery besides CRD/APIService changes. @defaultValue `Defaults.rediscoverIntervalMs` (300000) */
  rediscoverIntervalMs?: number;
  /** Messages buffered while Redis is down or slow before reflectors stop reading. @defaultValue 10000 */
  maxBuffered?: number;
  /** Bytes of content and paths buffered before reflectors stop reading. @defaultValue 67108864 (64 MiB) */
  maxBufferedBytes?: number;
  /** Messages per BullMQ `addBulk`. @defaultValue 200 */
  batchSize?: number;
  /** Bytes per BullMQ `addBulk` (a larger single message goes alone). @defaultValue 1048576 (1 MiB) */
  batchBytes?: number;
  /** Watch requests time out after a random time in [min, 2*min) seconds. @defaultValue 300 */
  minWatchTimeoutSeconds?: number;
  /** Abort a watch silent for this long (longer than the ~60 s bookmark interval). @defaultValue 150000 */
  watchInactivityTimeoutMs?: number;
  /** How long `stop()` keeps trying to flush buffered messages to Redis. @defaultValue 5000 */
  stopFlushTimeoutMs?: number;
  /** BullMQ job options of every message. @defaultValue `{ removeOnComplete: true, removeOnFail: 1000 }` */
  jobOptions?: Record<string, unknown>;
  /** @defaultValue core's `silentLogger` */
  logger?: Logger;
  /** @defaultValue core's `systemClock` */
  clock?: Clock;
  /** @defaultValue `createWatcherMetrics(new Registry())`, a private registry */
  metrics?: WatcherMetrics;
  /**
   * The apiserver client (discovery, list, watch); tests pass a fake.
   * @defaultValue `new ApiClient(kubeConfig, { inactivityTimeoutMs: watchInactivityTimeoutMs })`
   */
  apiClient?: ApiClientLike;
  /** @defaultValue Math.random */
  random?: () => number;
}

export interface ResolvedOptions {
  pageSize: number;
  streamingLists: boolean;
  rediscoverIntervalMs: number;
  maxBuffered: number;
  maxBufferedBytes: number;
  batchSize: number;
  batchBytes: number;
  minWatchTimeoutSeconds: number;
  watchInactivityTimeoutMs: number;
  stopFlushTimeoutMs: number;
}

const check = optionChecks("watcher");

/** Check every option at construction; a bad value throws core's `ConfigError` naming `watcher.<option>`. */
export function resolveOptions(o: WatcherOptions): ResolvedOptions {
  check.require(typeof o === "object" && o !== null, "options", "must be an object");
  check.require(
    !!o.kubeConfig &&
      typeof o.kubeConfig.getCurrentCluster === "function" &&
      typeof o.kubeConfig.applyToHTTPSOptions === "function",
    "kubeConfig",
    "must be a kubeconfig (getCurrentCluster, applyToHTTPSOptions)",
  );
  check.require(!!o.kubeConfig.getCurrentCluster(), "kubeConfig", "has no current cluster");
  check.require(
    !!o.queue && typeof o.queue === "object" && !!o.queue.connection,
    "queue.connection",
    "is required",
  );
  check.nonEmpty("queue.prefix", o.queue.prefix);
  check.require(
    !!o.canonicalizer && typeof o.canonicalizer.canonicalizeAsync === "function",
    "canonicalizer",
    "must have a canonicalizeAsync(type, obj) method",
  );
  for (const side of ["include", "exclude"] as const) {
    const sel = o[side];
    if (sel === undefined) continue;
    for (const f of ["groups", "resources", "namespaces"] as const) {
      const v = sel[f];
      check.require(
        v === undefined || (Array.isArray(v) && v.every((x) => typeof x === "string")),
        `${side}.${f}`,
        "must be an array of strings",
      );
    }
  }
  check.require(
    o.forbidden === undefined ||
      (Array.isArray(o.forbidden) && o.forbidden.every((x) => typeof x === "string")),
    "forbidden",
    "must be an array of strings",
  );
  check.require(
    o.labelSelector === undefined || typeof o.labelSelector === "string",
    "labelSelector",
    "must be a string",
  );
  check.require(
    o.streamingLists === undefined || typeof o.streamingLists === "boolean",
    "streamingLists",
    "must be a boolean",
  );
  return {
    pageSize: check.int("pageSize", o.pageSize, Defaults.pageSize, 1, 100_000),
    streamingLists: o.streamingLists ?? true,
    rediscoverIntervalMs: check.int(
      "rediscoverIntervalMs",
      o.rediscoverIntervalMs,
      Defaults.rediscoverIntervalMs,
      1000,
      86_400_000,
    ),
    maxBuffered: check.int("maxBuffered", o.maxBuffered, Defaults.watchMaxBuffered, 1, 10_000_000),
    maxBufferedBytes: check.int(
      "maxBufferedBytes",
      o.maxBufferedBytes,
      Defaults.watchMaxBufferedBytes,
      65_536,
      2 ** 40,
    ),
    batchSize: check.int("batchSize", o.batchSize, 200, 1, 10_000),
    batchBytes: check.int("batchBytes", o.batchBytes, 1024 * 1024, 1024, 2 ** 30),
    minWatchTimeoutSeconds: check.int("minWatchTimeoutSeconds", o.minWatchTimeoutSeconds, 300, 1, 3600),
    watchInactivityTimeoutMs: check.int(
      "watchInactivityTimeoutMs",
      o.watchInactivityTimeoutMs,
      150_000,
      1000,
      3_600_000,
    ),
    stopFlushTimeoutMs: check.int("stopFlushTimeoutMs", o.stopFlushTimeoutMs, 5000, 0, 600_000),
  };
}
