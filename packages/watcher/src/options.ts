import type { KubeConfig } from "@kubernetes/client-node";
import type { ConnectionOptions } from "bullmq";
import type { Canonicalizer } from "./canonicalizer.js";
import type { Clock } from "./clock.js";
import { WatcherOptionsError } from "./errors/watcher-options-error.js";
import type { Logger } from "./logger.js";
import type { WatcherMetrics } from "./metrics.js";
import type { Selection } from "./type-filter.js";

export interface WatcherOptions {
  /** Cluster and credentials. Only its connection and authentication are used. */
  kubeConfig: KubeConfig;
  /** BullMQ connection (ioredis options or an ioredis instance) and key prefix. */
  queue: { connection: ConnectionOptions; prefix: string };
  /** core's canonicalizer (normalise + protect). */
  canonicalizer: Canonicalizer;
  /** Only these groups/resources (type ids)/namespaces. Absent or empty: everything. */
  include?: Selection;
  /** Never these; wins over `include`. */
  exclude?: Selection;
  /** Kubernetes label selector applied to every list and watch. */
  labelSelector?: string;
  /** Objects per list page. @defaultValue 500 */
  pageSize?: number;
  /** Periodic rediscovery besides CRD/APIService changes. @defaultValue 300000 */
  rediscoverIntervalMs?: number;
  /** Messages buffered while Redis is down or slow before reflectors stop reading. @defaultValue 10000 */
  maxBuffered?: number;
  /** Messages per BullMQ `addBulk`. @defaultValue 200 */
  batchSize?: number;
  /** Watch requests time out after a random time in [min, 2*min) seconds. @defaultValue 300 */
  minWatchTimeoutSeconds?: number;
  /** Abort a watch silent for this long (longer than the ~60 s bookmark interval). @defaultValue 150000 */
  watchInactivityTimeoutMs?: number;
  /** How long `stop()` keeps trying to flush buffered messages to Redis. @defaultValue 5000 */
  stopFlushTimeoutMs?: number;
  /** BullMQ job options of every message. @defaultValue `{ removeOnComplete: true, removeOnFail: 1000 }` */
  jobOptions?: Record<string, unknown>;
  logger?: Logger;
  clock?: Clock;
  metrics?: WatcherMetrics;
  /** @defaultValue Math.random */
  random?: () => number;
}

export interface ResolvedOptions {
  pageSize: number;
  rediscoverIntervalMs: number;
  maxBuffered: number;
  batchSize: number;
  minWatchTimeoutSeconds: number;
  watchInactivityTimeoutMs: number;
  stopFlushTimeoutMs: number;
}

/** Check every option at construction; a bad value throws a `WatcherOptionsError` naming it. */
export function resolveOptions(o: WatcherOptions): ResolvedOptions {
  if (typeof o !== "object" || o === null) throw new WatcherOptionsError("options", "must be an object");
  if (!o.kubeConfig || typeof o.kubeConfig.getCurrentCluster !== "function") {
    throw new WatcherOptionsError("kubeConfig", "must be a KubeConfig");
  }
  if (!o.kubeConfig.getCurrentCluster())
    throw new WatcherOptionsError("kubeConfig", "has no current cluster");
  if (!o.queue || typeof o.queue !== "object" || !o.queue.connection) {
    throw new WatcherOptionsError("queue.connection", "is required");
  }
  if (typeof o.queue.prefix !== "string" || o.queue.prefix === "") {
    throw new WatcherOptionsError("queue.prefix", "must be a non-empty string");
  }
  if (!o.canonicalizer || typeof o.canonicalizer.canonicalize !== "function") {
    throw new WatcherOptionsError("canonicalizer", "must have a canonicalize(type, obj) method");
  }
  for (const side of ["include", "exclude"] as const) {
    const sel = o[side];
    if (sel === undefined) continue;
    for (const f of ["groups", "resources", "namespaces"] as const) {
      const v = sel[f];
      if (v !== undefined && (!Array.isArray(v) || v.some((x) => typeof x !== "string"))) {
        throw new WatcherOptionsError(`${side}.${f}`, "must be an array of strings");
      }
    }
  }
  if (o.labelSelector !== undefined && typeof o.labelSelector !== "string") {
    throw new WatcherOptionsError("labelSelector", "must be a string");
  }
  const r: ResolvedOptions = {
    pageSize: int("pageSize", o.pageSize, 500, 1, 100_000),
    rediscoverIntervalMs: int("rediscoverIntervalMs", o.rediscoverIntervalMs, 300_000, 1000, 86_400_000),
    maxBuffered: int("maxBuffered", o.maxBuffered, 10_000, 1, 10_000_000),
    batchSize: int("batchSize", o.batchSize, 200, 1, 10_000),
    minWatchTimeoutSeconds: int("minWatchTimeoutSeconds", o.minWatchTimeoutSeconds, 300, 1, 3600),
    watchInactivityTimeoutMs: int(
      "watchInactivityTimeoutMs",
      o.watchInactivityTimeoutMs,
      150_000,
      1000,
      3_600_000,
    ),
    stopFlushTimeoutMs: int("stopFlushTimeoutMs", o.stopFlushTimeoutMs, 5000, 0, 600_000),
  };
  return r;
}

function int(field: string, v: number | undefined, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new WatcherOptionsError(field, `must be an integer in [${min}, ${max}], got ${String(v)}`);
  }
  return v;
}
