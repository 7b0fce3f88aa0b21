/**
 * The apiserver answered with a non-success status, either as an HTTP status or as a watch ERROR
 * event carrying a `Status` object. One place translates both into this error (see api-client.ts).
 */
export class ApiStatusError extends Error {
  override readonly name = "ApiStatusError";
  constructor(
    /** HTTP status code, or `Status.code` of a watch ERROR event. */
    readonly code: number,
    /** `Status.reason`, e.g. `Expired`, `Forbidden`, `TooManyRequests`; `""` when absent. */
    readonly reason: string,
    message: string,
    /** `Retry-After` header (or `Status.details.retryAfterSeconds`) in milliseconds, if given. */
    readonly retryAfterMs?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /** The resourceVersion is too old (410 Gone / reason Expired): the caller must relist. */
  get expired(): boolean {
    return this.code === 410 || this.reason === "Expired" || this.reason === "Gone";
  }

  get forbidden(): boolean {
    return this.code === 403;
  }

  get tooManyRequests(): boolean {
    return this.code === 429;
  }

  /** The type is no longer served (CRD deleted, aggregated API gone). */
  get notFound(): boolean {
    return this.code === 404;
  }
}
