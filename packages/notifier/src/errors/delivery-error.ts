/**
 * One HTTP delivery to a chat sink failed. Translated from fetch/HTTP failures in one place
 * (`http.ts`). `retryable` decides between backoff and the dead-letter queue; `retryAfterMs` carries a
 * `Retry-After` the receiver asked for. The message never contains the sink URL (it is a credential).
 */
export class DeliveryError extends Error {
  override readonly name = "DeliveryError";
  readonly sink: string;
  /** HTTP status, or undefined when no response arrived (connection refused, timeout). */
  readonly status: number | undefined;
  readonly retryable: boolean;
  /** Delay the receiver asked for via `Retry-After`, in ms. */
  readonly retryAfterMs: number | undefined;

  constructor(
    sink: string,
    message: string,
    details: { status?: number; retryable: boolean; retryAfterMs?: number },
    options?: ErrorOptions,
  ) {
    super(`sink ${sink}: ${message}`, options);
    this.sink = sink;
    this.status = details.status;
    this.retryable = details.retryable;
    this.retryAfterMs = details.retryAfterMs;
  }
}
