// Public API of @shiplog/watcher. Hand-picked: what the CLI, the e2e tests and the benchmarks use.
// Clock, Logger and Canonicalizer are core's: import them from @shiplog/core.
export { Watcher } from "./watcher.js";
export type { WatcherStatus } from "./watcher.js";
export type { WatcherOptions } from "./options.js";
export type { Selection } from "./type-filter.js";
export type { ReflectorStatus, ReflectorState } from "./reflector.js";
export { createWatcherMetrics } from "./metrics.js";
export type { WatcherMetrics } from "./metrics.js";
export { ApiClient } from "./api-client.js";
export type { ApiClientLike, ApiClientOptions } from "./api-client.js";
export type { KubeAccess } from "./kube-access.js";
export { listAll } from "./list-all.js";
export type { ListAllOptions, ListAllProgress, ListAllSummary } from "./list-all.js";
