/** Prometheus metrics of the attribution receiver. The CLI passes its registry; tests read values back. */
import { Counter, Registry } from "prom-client";

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
  };
}
