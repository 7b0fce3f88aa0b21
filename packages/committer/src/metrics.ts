import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** Prometheus metrics of one committer. The CLI passes its registry; tests read the values back. */
export interface CommitterMetrics {
  readonly registry: Registry;
  /** Queue messages taken into windows. */
  readonly events: Counter<string>;
  /** Messages skipped as malformed, by reason. */
  readonly eventsSkipped: Counter<"reason">;
  /** Commits written, by author source. */
  readonly commits: Counter<"source">;
  /** Object changes committed, by op (`create`, `update`, `delete`) and whether they vanished. */
  readonly changes: Counter<"op" | "vanished">;
  /** Changes identical to the committed tree (replays after a crash, relists). */
  readonly unchanged: Counter<string>;
  /** Seconds from enqueue (job timestamp) to the commit being on the branch. */
  readonly commitLatency: Histogram<string>;
  /** Windows that failed to commit and were left unacknowledged. */
  readonly windowFailures: Counter<string>;
  /** Jobs whose acknowledgement failed after commit (they replay as no-ops). */
  readonly ackFailures: Counter<string>;
  /** Commits that could not be published to the notifier queue. */
  readonly publishFailures: Counter<string>;
  /** Push attempts by result: `ok`, `error`, `diverged`. */
  readonly pushes: Counter<"result">;
  /** 1 while the last push found commits on the remote that local history lacks (until a push succeeds). */
  readonly remoteDiverged: Gauge<string>;
  /** 1 while this instance holds the repo lock. */
  readonly leader: Gauge<string>;
}

export function createCommitterMetrics(registry: Registry = new Registry()): CommitterMetrics {
  const registers = [registry];
  return {
    registry,
    events: new Counter({
      name: "shiplog_committer_events_total",
      help: "Queue messages taken into windows",
      registers,
    }),
    eventsSkipped: new Counter({
      name: "shiplog_committer_events_skipped_total",
      help: "Malformed queue messages skipped",
      labelNames: ["reason"],
      registers,
    }),
    commits: new Counter({
      name: "shiplog_committer_commits_total",
      help: "Commits written",
      labelNames: ["source"],
      registers,
    }),
    changes: new Counter({
      name: "shiplog_committer_changes_total",
      help: "Object changes committed",
      labelNames: ["op", "vanished"],
      registers,
    }),
    unchanged: new Counter({
      name: "shiplog_committer_unchanged_total",
      help: "Changes identical to the committed tree",
      registers,
    }),
    commitLatency: new Histogram({
      name: "shiplog_committer_commit_latency_seconds",
      help: "Seconds from enqueue to commit on the branch",
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
      registers,
    }),
    windowFailures: new Counter({
      name: "shiplog_committer_window_failures_total",
      help: "Windows that failed to commit (left unacknowledged, retried)",
      registers,
    }),
    ackFailures: new Counter({
      name: "shiplog_committer_ack_failures_total",
      help: "Committed jobs whose acknowledgement failed",
      registers,
    }),
    publishFailures: new Counter({
      name: "shiplog_committer_publish_failures_total",
      help: "Commits not published to the notifier queue",
      registers,
    }),
    pushes: new Counter({
      name: "shiplog_committer_pushes_total",
      help: "Push attempts by result",
      labelNames: ["result"],
      registers,
    }),
    remoteDiverged: new Gauge({
      name: "shiplog_committer_remote_diverged",
      help: "1 while the last push found remote commits that local history lacked (replayed, then pushed)",
      registers,
    }),
    leader: new Gauge({
      name: "shiplog_committer_leader",
      help: "1 while this instance holds the repo lock",
      registers,
    }),
  };
}
