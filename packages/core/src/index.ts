// Public API of @shiplog/core. Hand-picked: only what other packages need.
export type { ResourceType, ResourceKey, KubeObject, KubeObjectMeta } from "./resource.js";
export { typeId } from "./resource.js";
export type {
  WatchOp,
  WatchGap,
  ChangeMessage,
  SyncMessage,
  SyncRange,
  TypesMessage,
  WatchMessage,
  ListedBatch,
  QueuedMessage,
  ChangeOp,
  Author,
  AuthorSource,
  PublishedChange,
  PublishedCommit,
} from "./messages.js";
export type { SyncInput, TypesInput } from "./messages.js";
export {
  AuthorSources,
  QueueNames,
  WatchOps,
  WatchGaps,
  ChangeOps,
  syncMessage,
  syncMessages,
  inSyncRange,
  messageBytes,
  queuedMessages,
  typesMessage,
  groupOfTypeId,
} from "./messages.js";

export { pathForKey, parsePath, typeDirOf, CLUSTER_DIR } from "./paths.js";
export { toYaml, fromYaml } from "./canonical-yaml.js";
export { latestManager, RESTORE_FIELD_MANAGER } from "./managers.js";
export { createCanonicalizer } from "./canonical.js";
export type { Canonicalizer, CanonicalizerOptions, CanonicalResult } from "./canonical.js";
export { CanonicalizeError } from "./canonical-error.js";
export { isTypeExcluded, isNamespaceExcluded, isControllerOwned, SkipReasons } from "./normalize.js";
export type { SkipReason } from "./normalize.js";
export { isFingerprint, FINGERPRINT_PREFIX, OMITTED_VALUE } from "./fingerprint.js";
export { FINGERPRINTS_ANNOTATION } from "./sops-format.js";
export { MIN_HMAC_KEY_BYTES } from "./protect.js";
export { SecretModeRegistry, SECRET_MODE_NAMES, secretModeInfo, isProtectedMarker } from "./secret-modes.js";
export type { SecretModeInfo } from "./secret-modes.js";
export { parseLabelSelector, matchesSelector } from "./label-selector.js";
export type { LabelSelector, Requirement as LabelRequirement } from "./label-selector.js";
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
  AttributionSources,
} from "./config.js";
export type {
  ShiplogConfig,
  RedisConfig,
  RedisTlsConfig,
  RedisSentinelConfig,
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
  SinkTarget,
  NotifierConfig,
  AttributionConfig,
  AttributionReceiverConfig,
  AttributionSourceName,
  UserMapping,
} from "./config.js";
export { Defaults, COMMIT_URL_PLACEHOLDERS } from "./defaults.js";
export { formatDuration } from "./duration.js";
export { optionChecks } from "./option-checks.js";
export type { OptionChecks } from "./option-checks.js";
export type { Clock, Timer } from "./clock.js";
export { systemClock } from "./clock.js";
export type { Logger } from "./logger.js";
export { silentLogger } from "./logger.js";
export { Backoff, parseRetryAfter } from "./backoff.js";
export type { BackoffOptions } from "./backoff.js";
export { isRecord } from "./guards.js";
export { failpoints, parseFailpoints, noFailpoints, FailpointNames, FAILPOINTS_ENV } from "./failpoints.js";
export type { Failpoints, FailpointName, FailpointAction } from "./failpoints.js";
export { MASK, maskUrlCredentials, maskWebhookUrl } from "./mask.js";
export {
  redisConnectionOptions,
  describeRedisTarget,
  logRedisErrors,
  redactRedisError,
} from "./redis-connection.js";
export type {
  RedisConnectionOptions,
  RedisTlsOptions,
  ReadConfigFile,
  RedisEvents,
} from "./redis-connection.js";
