/** Prometheus metrics of the attribution receiver. The CLI passes its registry; tests read values back. */
import { Counter, Histogram, Registry } from "prom-client";

/** `result` label values of `shiplog_attribution_requests_total`. */
export const RequestResults = {
  ok: "ok",
  notFound: "not_found",
  unauthorized: "unauthorized",
  rateLimited: "rate_limited",
  tooLarge: "too_large",
  badRequest: "bad_request",
  /** Parsed, but Redis did not take the records (audit: 503 so the apiserver retries; admission: allowed). */
  storeFailed: "store_failed",
  /** The handler itself failed (a bug): 500, counted and logged, never a crash. */
  error: "error",
} as const;
export type RequestResult = (typeof RequestResults)[keyof typeof RequestResults];

export interface AttributionMetrics {
  readonly registry: Registry;
  /** Every request the receiver answered, by endpoint (audit|admission|other) and result. */
  readonly requests: Counter<"endpoint" | "result">;
  /** Identity records stored, by source (audit|admission). */
  readonly records: Counter<"source">;
  /** Committed changes by the source of their author (audit|admission|field-manager|unknown). */
  readonly changes: Counter<"source">;
  /** Changes no identity matched within the grace (credited to the field manager). */
  readonly unmatched: Counter;
  /** From the watcher seeing a change to its identity being found (matched changes only). */
  readonly matchDelay: Histogram;
}

export function createAttributionMetrics(registry: Registry = new Registry()): AttributionMetrics {
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: "shiplog_attribution_requests_total",
      help: "Requests to the attribution receiver by endpoint (audit, admission, other) and result.",
      labelNames: ["endpoint", "result"],
      registers,
    }),
    records: new Counter({
      name: "shiplog_attribution_records_total",
      help: "Identity records stored by the attribution receiver, by source (audit, admission).",
      labelNames: ["source"],
      registers,
    }),
    changes: new Counter({
      name: "shiplog_attribution_changes_total",
      help: "Committed changes by the source of their author (audit, admission, field-manager, unknown).",
      labelNames: ["source"],
      registers,
    }),
    unmatched: new Counter({
      name: "shiplog_attribution_unmatched_total",
      help: "Changes no identity matched within attribution.grace; their field manager was credited.",
      registers,
    }),
    matchDelay: new Histogram({
      name: "shiplog_attribution_match_delay_seconds",
      help: "Seconds from the watcher seeing a change to its identity being found, for matched changes.",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30],
      registers,
    }),
  };
}

/** `IdentityAttribution`'s `onAttributed`, counting into these metrics. */
export function attributionRecorder(
  m: AttributionMetrics,
): (r: { source: string; matched: boolean; delayMs: number }) => void {
  return (r) => {
    m.changes.inc({ source: r.source });
    if (r.matched) m.matchDelay.observe(r.delayMs / 1000);
    else m.unmatched.inc();
  };
}
