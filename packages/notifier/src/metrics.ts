/** Prometheus metrics of the notifier. The CLI passes its registry; tests read the values back. */
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export interface NotifierMetrics {
  readonly registry: Registry;
  /** Published commits read from the commits queue. */
  readonly commitsReceived: Counter;
  /** Messages on the commits queue that were not a valid PublishedCommit (skipped). */
  readonly invalidMessages: Counter<"reason">;
  /** Per sink: commits sent alone, folded into a digest, or filtered out by routing. */
  readonly routed: Counter<"sink" | "decision">;
  /** Per sink and kind (commit|digest): delivered, retried (an attempt failed), dead (dead-lettered). */
  readonly deliveries: Counter<"sink" | "kind" | "outcome">;
  readonly deliverySeconds: Histogram<"sink">;
  /** Messages that had to be cut to fit a platform's limits. */
  readonly truncated: Counter<"sink">;
  /** Diff or summary values of Secrets withheld by the notifier's own guard (upstream should do it). */
  readonly secretValuesWithheld: Counter;
  /** Messages currently in the dead-letter queue. */
  readonly deadLetterSize: Gauge;
}

export function createNotifierMetrics(registry: Registry = new Registry()): NotifierMetrics {
  const registers = [registry];
  return {
    registry,
    commitsReceived: new Counter({
      name: "shiplog_notifier_commits_received_total",
      help: "Published commits read from the commits queue.",
      registers,
    }),
    invalidMessages: new Counter({
      name: "shiplog_notifier_invalid_messages_total",
      help: "Messages on the commits queue that were not a valid published commit and were skipped.",
      labelNames: ["reason"],
      registers,
    }),
    routed: new Counter({
      name: "shiplog_notifier_commits_routed_total",
      help: "Commits per sink by routing/flood decision: single, digest or filtered.",
      labelNames: ["sink", "decision"],
      registers,
    }),
    deliveries: new Counter({
      name: "shiplog_notifier_deliveries_total",
      help: "Delivery attempts per sink, message kind and outcome (delivered, retried, dead).",
      labelNames: ["sink", "kind", "outcome"],
      registers,
    }),
    deliverySeconds: new Histogram({
      name: "shiplog_notifier_delivery_duration_seconds",
      help: "Time of one HTTP delivery attempt per sink.",
      labelNames: ["sink"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    truncated: new Counter({
      name: "shiplog_notifier_truncated_total",
      help: "Messages cut to fit the sink platform's limits.",
      labelNames: ["sink"],
      registers,
    }),
    secretValuesWithheld: new Counter({
      name: "shiplog_notifier_secret_values_withheld_total",
      help: "Secret diff/summary values that were not fingerprints and were withheld by the notifier.",
      registers,
    }),
    deadLetterSize: new Gauge({
      name: "shiplog_notifier_dead_letter_messages",
      help: "Messages waiting in the notifier's dead-letter queue.",
      registers,
    }),
  };
}
