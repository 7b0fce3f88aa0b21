// The test harness other packages' e2e tests use: a real control plane, Redis, binaries, age keys.
export {
  startControlPlane,
  ControlPlaneError,
  type ControlPlane,
  type ControlPlaneOptions,
  type AuditWebhookTarget,
} from "./control-plane.js";
export { sharedControlPlane } from "./shared.js";
export {
  testRedis,
  startPrivateRedis,
  pingRedis,
  RedisHarnessError,
  type TestRedis,
  type PrivateRedis,
  type PrivateRedisOptions,
} from "./redis.js";
export { binaries, binary, MissingBinaryError, type Tool } from "./binaries.js";
export { ageKeygen, type AgeKey } from "./age.js";
export { uniquePrefix } from "./unique.js";
export { run, runOk, RunError, type RunOptions, type RunResult } from "./run.js";
export { freePort } from "./net.js";
export { waitForEvent, WatchTimeoutError, type WatchEvent } from "./watch.js";
