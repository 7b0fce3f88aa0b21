// Public API of @shiplog/notifier. Hand-picked: what the CLI and the e2e tests import, and the
// signature check a webhook receiver needs (README, ADR 0050). Sink config, Clock and Logger are core's.
export { Notifier } from "./notifier.js";
export type { NotifierOptions } from "./options.js";
export { createNotifierMetrics } from "./metrics.js";
export type { NotifierMetrics } from "./metrics.js";
export { verifyWebhookSignature } from "./webhook.js";
export type { VerifyResult } from "./webhook.js";
