/**
 * A request body is not a well-formed audit EventList or AdmissionReview. The receiver answers 400.
 * The message names the offending field (`items[3].user.username`) and never quotes a value from the
 * body, which could be part of a Secret.
 */
export class MalformedPayloadError extends Error {
  override readonly name = "MalformedPayloadError";
  /** Path of the offending field, e.g. `items[3].objectRef.resource`. */
  readonly field: string;

  constructor(field: string, problem: string, options?: ErrorOptions) {
    super(`${field}: ${problem}`, options);
    this.field = field;
  }
}
