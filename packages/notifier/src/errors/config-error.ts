/** A notifier option or sink definition is invalid. `field` names it, e.g. `sinks[1].url`. */
export class NotifierConfigError extends Error {
  override readonly name = "NotifierConfigError";
  readonly field: string;

  constructor(field: string, problem: string, options?: ErrorOptions) {
    super(`${field}: ${problem}`, options);
    this.field = field;
  }
}
