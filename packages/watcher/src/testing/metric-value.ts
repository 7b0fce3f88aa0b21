// Test support (not shipped): reads a prom-client metric back as one number.
import type { Counter, Gauge, Histogram } from "prom-client";

interface Sample {
  readonly value: number;
  readonly labels: Partial<Record<string, string | number>>;
  /** Set by histograms: `<name>_bucket`, `<name>_sum`, `<name>_count`. */
  readonly metricName?: string;
}

/**
 * Sum of a counter's or gauge's series whose labels include `match`; for a histogram, the number of
 * observations (its `_count` series) of the matching series.
 */
export async function metricValue(
  metric: Counter<string> | Gauge<string> | Histogram<string>,
  match: Readonly<Record<string, string>> = {},
): Promise<number> {
  const got = await metric.get();
  const samples: readonly Sample[] = got.values;
  return samples
    .filter((s) => s.metricName === undefined || s.metricName === `${got.name}_count`)
    .filter((s) => Object.entries(match).every(([k, x]) => String(s.labels[k]) === x))
    .reduce((sum, s) => sum + s.value, 0);
}
