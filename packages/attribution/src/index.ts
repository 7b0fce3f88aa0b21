// Public API of @shiplog/attribution. Hand-picked: what the CLI (receiver) and the committer (lookup) need.
export type { IdentityRecord, IdentitySource, IdentityVerb } from "./record.js";
export { IdentitySources, IdentityVerbs, actingUser } from "./record.js";
export { parseAuditEventList, parseAdmissionReview, admissionResponse } from "./parse.js";
export type { ParsedAdmission } from "./parse.js";
export { MalformedPayloadError } from "./errors/malformed-payload-error.js";
export { IdentityStoreError } from "./errors/identity-store-error.js";
export { IdentityStore, MatchRules } from "./identity-store.js";
export type {
  IdentityStoreOptions,
  ObjectRef,
  ObservedChange,
  IdentityMatch,
  MatchRule,
} from "./identity-store.js";
export { AttributionReceiver } from "./receiver.js";
export type { AttributionReceiverOptions, RecordSink } from "./receiver.js";
export type { BucketLimit } from "./rate-limit.js";
export { attributionRecorder, createAttributionMetrics, RequestResults } from "./metrics.js";
export type { AttributionMetrics, RequestResult } from "./metrics.js";
export { IdentityAttribution, emailFor } from "./identity-attribution.js";
export type { IdentityAttributionOptions } from "./identity-attribution.js";
