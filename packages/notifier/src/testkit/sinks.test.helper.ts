/**
 * Test-only: a sink as the notifier receives it (core's `SinkTarget`), with what core's config schema
 * would have defaulted filled from core's `Defaults`. Not part of the package API.
 */
import type { SinkTarget } from "@shiplog/core";
import { Defaults } from "@shiplog/core";

/** What a test says about a sink; the rest is defaulted. */
export type SinkSpec = Pick<SinkTarget, "name" | "type" | "url"> & Partial<SinkTarget>;

export function sinkTarget(s: SinkSpec): SinkTarget {
  return {
    routes: {},
    rateLimit: { perMinute: Defaults.sinkPerMinute, digestAfter: Defaults.sinkDigestAfter },
    maxAttempts: Defaults.sinkMaxAttempts,
    ...s,
  };
}
