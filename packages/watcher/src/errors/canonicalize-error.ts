/** The injected canonicalizer threw for one object. The object is skipped with a log line and a metric. */
export class CanonicalizeError extends Error {
  override readonly name = "CanonicalizeError";
  constructor(
    readonly type: string,
    readonly objectKey: string,
    options?: ErrorOptions,
  ) {
    super(`canonicalize failed for ${type} ${objectKey}`, options);
  }
}
