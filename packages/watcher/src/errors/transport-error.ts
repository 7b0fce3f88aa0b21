/** The request to the apiserver failed below HTTP: connection refused/reset, TLS, timeout, bad JSON. */
export class TransportError extends Error {
  override readonly name = "TransportError";
  constructor(
    message: string,
    /** Error code of the underlying failure (e.g. `ECONNREFUSED`, `INACTIVITY_TIMEOUT`), if known. */
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
