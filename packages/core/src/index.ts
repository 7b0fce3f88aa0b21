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
