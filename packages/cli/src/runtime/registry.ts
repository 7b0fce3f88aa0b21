/**
 * The process's one prom-client registry, served on /metrics. Each stage registers its own metrics in
 * it (`createWatcherMetrics(registry)`, `createCommitterMetrics(registry)`, `createNotifierMetrics(registry)`).
 */
import { collectDefaultMetrics, Registry } from "prom-client";

/** A registry with Node process metrics (`shiplog_process_*`). */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "shiplog_" });
  return registry;
}
