// Public API of @shiplog/notifier. Hand-picked: what the CLI needs, and what a webhook receiver needs.
export { Notifier, DEAD_LETTER_QUEUE, SINK_QUEUE_PREFIX } from "./notifier.js";
export type { DeadLetter } from "./notifier.js";
export type {
  NotifierOptions,
  SinkConfig,
  SinkType,
  RouteRules,
  RateLimit,
  Logger,
  Clock,
} from "./options.js";
export { SinkTypes } from "./options.js";
export { createNotifierMetrics } from "./metrics.js";
export type { NotifierMetrics } from "./metrics.js";
export { NotifierConfigError } from "./errors/config-error.js";
export { DeliveryError } from "./errors/delivery-error.js";
export { verifyWebhookSignature, SIGNATURE_HEADER, TIMESTAMP_HEADER, DELIVERY_HEADER } from "./webhook.js";
export type { VerifyResult } from "./webhook.js";
