/**
 * Counters the watcher keeps, in a stable, dependency-free shape. The CLI reads `series()` and serves
 * them through prom-client; the watcher itself never imports a metrics library.
 */
export type Labels = Readonly<Record<string, string>>;

function labelKey(labelNames: readonly string[], labels: Labels): string {
  return labelNames.map((n) => labels[n] ?? "").join("\u0000");
}

export class LabeledCounter {
  readonly #values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  inc(labels: Labels, n = 1): void {
    const k = labelKey(this.labelNames, labels);
    const cur = this.#values.get(k);
    if (cur) cur.value += n;
    else this.#values.set(k, { labels: { ...labels }, value: n });
  }

  get(labels: Labels): number {
    return this.#values.get(labelKey(this.labelNames, labels))?.value ?? 0;
  }

  /** Sum over every series whose labels include `match`. */
  sum(match: Labels = {}): number {
    let s = 0;
    for (const { labels, value } of this.#values.values()) {
      if (Object.entries(match).every(([k, v]) => labels[k] === v)) s += value;
    }
    return s;
  }

  series(): { labels: Labels; value: number }[] {
    return [...this.#values.values()].map((v) => ({ labels: v.labels, value: v.value }));
  }
}

export class LabeledGauge extends LabeledCounter {
  set(labels: Labels, v: number): void {
    this.inc(labels, v - this.get(labels));
  }
}

export interface HistogramSeries {
  readonly labels: Labels;
  /** Cumulative counts per upper bound (`le`), Prometheus style; `+Inf` is `count`. */
  readonly buckets: readonly { le: number; count: number }[];
  readonly sum: number;
  readonly count: number;
}

export class LabeledHistogram {
  readonly #values = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    readonly bucketBounds: readonly number[],
  ) {}

  observe(labels: Labels, v: number): void {
    const k = labelKey(this.labelNames, labels);
    let cur = this.#values.get(k);
    if (!cur) {
      cur = { labels: { ...labels }, counts: this.bucketBounds.map(() => 0), sum: 0, count: 0 };
      this.#values.set(k, cur);
    }
    for (let i = 0; i < this.bucketBounds.length; i++) {
      if (v <= (this.bucketBounds[i] ?? Infinity)) cur.counts[i] = (cur.counts[i] ?? 0) + 1;
    }
    cur.sum += v;
    cur.count += 1;
  }

  series(): HistogramSeries[] {
    return [...this.#values.values()].map((v) => ({
      labels: v.labels,
      buckets: this.bucketBounds.map((le, i) => ({ le, count: v.counts[i] ?? 0 })),
      sum: v.sum,
      count: v.count,
    }));
  }
}

export interface WatcherMetrics {
  /** Events seen, by `type` and `op` (added, modified, deleted, listed, bookmark). */
  readonly events: LabeledCounter;
  /** Change messages buffered for the queue, by `type` and `op`. */
  readonly enqueued: LabeledCounter;
  /** Events dropped because the canonical content did not change (status-only updates), by `type`. */
  readonly unchanged: LabeledCounter;
  /** Objects skipped, by `type` and `reason` (canonicalizer reason, namespace filter, error). */
  readonly skipped: LabeledCounter;
  /** (Re)lists started, by `type` and `reason` (initial, expired, queue-full, error). */
  readonly relists: LabeledCounter;
  /** Errors, by `type` and `kind` (forbidden, expired, status, transport, canonicalize, queue). */
  readonly errors: LabeledCounter;
  /** Messages lost, by `type` and `reason`. Only at shutdown with the queue unreachable. */
  readonly dropped: LabeledCounter;
  /** Seconds from buffering a message to Redis accepting its batch, by `type`. */
  readonly queueAddLatency: LabeledHistogram;
  /** Messages waiting in the bounded buffer (no labels). */
  readonly buffered: LabeledGauge;
  /** Objects currently tracked, by `type`. */
  readonly objects: LabeledGauge;
}

export function createWatcherMetrics(): WatcherMetrics {
  return {
    events: new LabeledCounter("shiplog_watcher_events_total", "Watch and list events seen", ["type", "op"]),
    enqueued: new LabeledCounter("shiplog_watcher_enqueued_total", "Messages buffered for the queue", [
      "type",
      "op",
    ]),
    unchanged: new LabeledCounter(
      "shiplog_watcher_unchanged_total",
      "Events dropped because the canonical content did not change",
      ["type"],
    ),
    skipped: new LabeledCounter("shiplog_watcher_skipped_total", "Objects skipped", ["type", "reason"]),
    relists: new LabeledCounter("shiplog_watcher_relists_total", "Lists and relists started", [
      "type",
      "reason",
    ]),
    errors: new LabeledCounter("shiplog_watcher_errors_total", "Errors by kind", ["type", "kind"]),
    dropped: new LabeledCounter("shiplog_watcher_dropped_total", "Messages lost", ["type", "reason"]),
    queueAddLatency: new LabeledHistogram(
      "shiplog_watcher_queue_add_latency_seconds",
      "Time from buffering a message to Redis accepting it",
      ["type"],
      [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60],
    ),
    buffered: new LabeledGauge("shiplog_watcher_buffered_messages", "Messages waiting in the buffer", []),
    objects: new LabeledGauge("shiplog_watcher_objects", "Objects tracked", ["type"]),
  };
}
