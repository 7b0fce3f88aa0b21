/**
 * What a reflector does after a failed list or watch, as client-go's reflector decides it: a 410 /
 * `Expired` (HTTP status or watch ERROR event) relists at once, a full enqueue buffer waits for it to
 * drain and relists, a 403 backs off and relists, anything else backs off (honouring `Retry-After`)
 * and retries what failed: a failed list lists again, a broken watch resumes from the last
 * resourceVersion. Pure: the reflector does the logging, the metrics and the waiting.
 */
import { ApiStatusError } from "./errors/api-status-error.js";
import { QueueFull } from "./errors/queue-full.js";
import { TransportError } from "./errors/transport-error.js";

/** Why a (re)list started: the `reason` label of `shiplog_watcher_relists_total`. */
export const RelistReasons = {
  initial: "initial",
  expired: "expired",
  queueFull: "queue-full",
  forbidden: "forbidden",
  error: "error",
} as const;
export type RelistReason = (typeof RelistReasons)[keyof typeof RelistReasons];

/** The `kind` label of `shiplog_watcher_errors_total` for list/watch failures. */
export const ErrorKinds = {
  expired: "expired",
  forbidden: "forbidden",
  throttled: "throttled",
  status: "status",
  transport: "transport",
  internal: "internal",
} as const;
export type ErrorKind = (typeof ErrorKinds)[keyof typeof ErrorKinds];

export const RetryActions = {
  /** Relist now, without backoff (the resourceVersion is older than etcd's compaction). */
  relist: "relist",
  /** Stop reading; relist once the enqueue buffer drained. Not an error. */
  waitForQueue: "wait-for-queue",
  /** The type is forbidden: back off, then relist. */
  forbidden: "forbidden",
  /** Back off (at least `retryAfterMs`), then retry what failed. */
  backoff: "backoff",
} as const;
export type RetryAction = (typeof RetryActions)[keyof typeof RetryActions];

export interface Verdict {
  readonly action: RetryAction;
  /** The reason the next list counts under (only used when the next attempt lists). */
  readonly reason: RelistReason;
  /** The errors metric's `kind`; absent when the failure is not counted as an error. */
  readonly kind?: ErrorKind;
  /** A server-requested minimum delay (`Retry-After`, `Status.details.retryAfterSeconds`). */
  readonly retryAfterMs?: number;
}

/**
 * Classifies what the reflector's list or watch threw. `listing`: the failure happened while listing;
 * `reason`: the reason of the list in progress (or of the last one).
 */
export function classifyError(err: unknown, listing: boolean, reason: RelistReason): Verdict {
  if (err instanceof QueueFull) return { action: RetryActions.waitForQueue, reason: RelistReasons.queueFull };
  // After a failed first list, the next list counts as a retry after an error.
  const retryReason = listing && reason === RelistReasons.initial ? RelistReasons.error : reason;
  if (err instanceof ApiStatusError) {
    if (err.expired)
      return { action: RetryActions.relist, reason: RelistReasons.expired, kind: ErrorKinds.expired };
    if (err.forbidden) {
      return { action: RetryActions.forbidden, reason: RelistReasons.forbidden, kind: ErrorKinds.forbidden };
    }
    return {
      action: RetryActions.backoff,
      reason: retryReason,
      kind: err.tooManyRequests ? ErrorKinds.throttled : ErrorKinds.status,
      ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
    };
  }
  return {
    action: RetryActions.backoff,
    reason: retryReason,
    kind: err instanceof TransportError ? ErrorKinds.transport : ErrorKinds.internal,
  };
}
