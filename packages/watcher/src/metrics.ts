/** Prometheus metrics of the watcher. The CLI passes its registry; tests read the values back. */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export interface WatcherMetrics {
  readonly registry: Registry;
  /** Events seen, by `type` and `op` (added, modified, deleted, listed, bookmark). */
  readonly events: Counter<"type" | "op">;
  /** Change messages buffered for the queue, by `type` and `op`. */
  readonly enqueued: Counter<"type" | "op">;
  /** Events dropped because the canonical content did not change (status-only updates), by `type`. */
  readonly unchanged: Counter<"type">;
  /** Objects skipped, by `type` and `reason` (canonicalizer reason, namespace filter, error). */
  readonly skipped: Counter<"type" | "reason">;
  /** (Re)lists started, by `type` and `reason` (see `RelistReasons`). */
  readonly relists: Counter<"type" | "reason">;
  /** Watches resumed from a stored resourceVersion instead of a first list, by `type`. */
  readonly resumes: Counter<"type">;
  /** Streaming lists (WatchList), by `type` and `outcome` (`streamed`, or `fallback` to pages). */
  readonly streamingLists: Counter<"type" | "outcome">;
  /** Errors, by `type` and `kind` (see `ErrorKinds`; plus `canonicalize` and `queue`). */
  readonly errors: Counter<"type" | "kind">;
  /** Messages lost, by `type` and `reason`. Only at shutdown with the queue unreachable. */
  readonly dropped: Counter<"type" | "reason">;
  /** Seconds from buffering a message to Redis accepting its batch, by `type`. */
  readonly queueAddLatency: Histogram<"type">;
  /** Messages waiting in the bounded buffer (no labels). */
  readonly buffered: Gauge;
  /** Bytes (content and paths) of the messages in the buffer (no labels). */
  readonly bufferedBytes: Gauge;
  /** Objects currently tracked, by `type`. */
  readonly objects: Gauge<"type">;
}

export function createWatcherMetrics(registry: Registry): WatcherMetrics {
  const registers = [registry];
  return {
    registry,
    events: new Counter({
      name: "shiplog_watcher_events_total",
      help: "Watch and list events seen",
      labelNames: ["type", "op"],
      registers,
    }),
    enqueued: new Counter({
      name: "shiplog_watcher_enqueued_total",
      help: "Messages buffered for the queue",
      labelNames: ["type", "op"],
      registers,
    }),
    unchanged: new Counter({
      name: "shiplog_watcher_unchanged_total",
      help: "Events dropped because the canonical content did not change",
      labelNames: ["type"],
      registers,
    }),
    skipped: new Counter({
      name: "shiplog_watcher_skipped_total",
      help: "Objects skipped",
      labelNames: ["type", "reason"],
      registers,
    }),
    relists: new Counter({
      name: "shiplog_watcher_relists_total",
      help: "Lists and relists started",
      labelNames: ["type", "reason"],
      registers,
    }),
    resumes: new Counter({
      name: "shiplog_watcher_resumes_total",
      help: "Watches resumed from a stored resourceVersion instead of a first list",
      labelNames: ["type"],
      registers,
    }),
    streamingLists: new Counter({
      name: "shiplog_watcher_streaming_lists_total",
      help: "Lists streamed by a watch with sendInitialEvents, or fallen back to pages",
      labelNames: ["type", "outcome"],
      registers,
    }),
    errors: new Counter({
      name: "shiplog_watcher_errors_total",
      help: "Errors by kind",
      labelNames: ["type", "kind"],
      registers,
    }),
    dropped: new Counter({
      name: "shiplog_watcher_dropped_total",
      help: "Messages lost",
      labelNames: ["type", "reason"],
      registers,
    }),
    queueAddLatency: new Histogram({
      name: "shiplog_watcher_queue_add_latency_seconds",
      help: "Time from buffering a message to Redis accepting it",
      labelNames: ["type"],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60],
      registers,
    }),
    buffered: new Gauge({
      name: "shiplog_watcher_buffered_messages",
      help: "Messages waiting in the buffer",
      registers,
    }),
    bufferedBytes: new Gauge({
      name: "shiplog_watcher_buffered_bytes",
      help: "Bytes of content and paths waiting in the buffer",
      registers,
    }),
    objects: new Gauge({
      name: "shiplog_watcher_objects",
      help: "Objects tracked",
      labelNames: ["type"],
      registers,
    }),
  };
}
