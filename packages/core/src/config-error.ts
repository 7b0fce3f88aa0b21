/** A configuration value is wrong. `field` is the dotted path of the offending key, e.g. `watch.pageSize`. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly field: string;

  constructor(field: string, problem: string, options?: ErrorOptions) {
    super(field === "" ? problem : `${field}: ${problem}`, options);
    this.field = field;
  }
}
