// Public API of @shiplog/core. Hand-picked: only what other packages need.
export type { ResourceType, ResourceKey, KubeObject, KubeObjectMeta } from "./resource.js";
export { typeId } from "./resource.js";
export type {
  WatchOp,
  ChangeMessage,
  SyncMessage,
  WatchMessage,
  ChangeOp,
  Author,
  PublishedChange,
  PublishedCommit,
} from "./messages.js";
export { QueueNames, WatchOps, ChangeOps } from "./messages.js";

export { pathForKey, parsePath, typeDirOf, CLUSTER_DIR } from "./paths.js";
export { toYaml, fromYaml } from "./canonical-yaml.js";
export { latestManager } from "./managers.js";
export { createCanonicalizer } from "./canonical.js";
export type { Canonicalizer, CanonicalizerOptions, CanonicalResult } from "./canonical.js";
export { CanonicalizeError } from "./canonical-error.js";
export { isTypeExcluded, isNamespaceExcluded, isControllerOwned, SkipReasons } from "./normalize.js";
export type { SkipReason } from "./normalize.js";
export { isFingerprint, FINGERPRINT_PREFIX, OMITTED_VALUE } from "./fingerprint.js";
export { summarizeChange, diffView, sameContent, unifiedDiff } from "./summary.js";
export type { Operation } from "./summary.js";
export {
  parseConfig,
  defaultConfig,
  configReference,
  maskConfig,
  parseDuration,
  ConfigError,
  SecretModes,
  SinkTypes,
  LogLevels,
} from "./config.js";
export type {
  ShiplogConfig,
  SecretMode,
  SinkType,
  LogLevel,
  TypeFilter,
  WatchConfig,
  NormalizeRule,
  NormalizeConfig,
  SensitiveFieldsRule,
  SecretsConfig,
  RemoteConfig,
  RepoConfig,
  CommitterConfig,
  SinkRoutes,
  SinkConfig,
  NotifierConfig,
} from "./config.js";
export type { Clock } from "./clock.js";
export { systemClock } from "./clock.js";
