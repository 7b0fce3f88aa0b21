// Public API of @shiplog/committer. Hand-picked: what the CLI and the e2e tests use (`shiplog run` /
// `commit` build a Committer, `shiplog snapshot` opens the repo and commits a snapshot), plus the types
// of those signatures. Clock, Logger and ConfigError come from @shiplog/core.
export { Committer } from "./committer.js";
export type { CommitterState, CommitterStatus } from "./committer.js";
export type { CommitterOptions } from "./options.js";
export type { AttributionSource } from "./attribution.js";
export { FieldManagerAttribution } from "./attribution.js";
export type { RemoteOptions, PushState, PushStatus } from "./pusher.js";
export { openRepo } from "./git/repo.js";
export type { GitRepo, OpenRepoOptions } from "./git/repo.js";
export { commitSnapshot, SnapshotWriter } from "./snapshot.js";
export type {
  SnapshotChange,
  SnapshotCommit,
  SnapshotInput,
  SnapshotOptions,
  SnapshotResult,
} from "./snapshot.js";
export { createCommitterMetrics } from "./metrics.js";
export type { CommitterMetrics } from "./metrics.js";
