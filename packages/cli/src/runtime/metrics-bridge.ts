/**
 * Serves the pipeline packages' dependency-free counters through prom-client. The watcher, committer
 * and notifier keep `{name, help, series()}` objects (counters, gauges, histograms) and never import
 * a metrics library; each is registered here as a prom-client metric whose `get()` reads the series at
 * scrape time, so there is no copying loop and no staleness.
 */
import { collectDefaultMetrics, Registry } from "prom-client";

type Labels = Readonly<Record<string, string>>;

interface CounterLike {
  readonly name: string;
  readonly help: string;
  series(): ReadonlyArray<{ labels: Labels; value: number }>;
}

interface HistogramLike {
  readonly name: string;
  readonly help: string;
  readonly bucketBounds: readonly number[];
  series(): ReadonlyArray<{
    labels: Labels;
    buckets: ReadonlyArray<{ le: number; count: number }>;
    sum: number;
    count: number;
  }>;
}

type MetricType = "counter" | "gauge" | "histogram";

interface BridgedValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

function isHistogramLike(m: unknown): m is HistogramLike {
  return typeof m === "object" && m !== null && "bucketBounds" in m && "series" in m && "name" in m;
}

function isCounterLike(m: unknown): m is CounterLike {
  return (
    typeof m === "object" &&
    m !== null &&
    typeof (m as { series?: unknown }).series === "function" &&
    typeof (m as { name?: unknown }).name === "string"
  );
}

/** The object form prom-client's Registry expects of a metric. */
function bridged(name: string, help: string, type: MetricType, values: () => BridgedValue[]) {
  return {
    name,
    help,
    type,
    aggregator: "sum" as const,
    get: () => Promise.resolve({ name, help, type, aggregator: "sum" as const, values: values() }),
    reset: () => undefined,
  };
}

/** Registers every metric-like property of `group` (e.g. `createWatcherMetrics()`) into `registry`. */
export function registerMetricGroup(registry: Registry, group: object): number {
  let n = 0;
  for (const m of Object.values(group)) {
    if (isHistogramLike(m)) {
      registry.registerMetric(
        bridged(m.name, m.help, "histogram", () =>
          m.series().flatMap((s) => [
            ...s.buckets.map((b) => ({
              labels: { ...s.labels, le: b.le },
              value: b.count,
              metricName: `${m.name}_bucket`,
            })),
            { labels: { ...s.labels, le: "+Inf" }, value: s.count, metricName: `${m.name}_bucket` },
            { labels: { ...s.labels }, value: s.sum, metricName: `${m.name}_sum` },
            { labels: { ...s.labels }, value: s.count, metricName: `${m.name}_count` },
          ]),
        ) as never,
      );
      n++;
    } else if (isCounterLike(m)) {
      const type: MetricType = typeof (m as { set?: unknown }).set === "function" ? "gauge" : "counter";
      registry.registerMetric(
        bridged(m.name, m.help, type, () =>
          m.series().map((s) => ({ labels: { ...s.labels }, value: s.value })),
        ) as never,
      );
      n++;
    }
  }
  return n;
}

/** A registry with Node process metrics (`shiplog_process_*`). */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "shiplog_" });
  return registry;
}
