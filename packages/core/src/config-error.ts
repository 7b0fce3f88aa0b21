/**
 * The one error for a wrong configuration value or option, in every package. `field` is the full
 * dotted path of the offending key (`notifier.sinks[0].name`, or an option such as
 * `committer option quietPeriodMs`); `source` says where the value came from when known (a config
 * file path, `SHIPLOG_REDIS_URL`, `--redis-url`). The CLI maps it to exit code 2.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly field: string;
  readonly problem: string;
  readonly source: string | undefined;

  constructor(field: string, problem: string, options?: ErrorOptions & { source?: string }) {
    const where = options?.source !== undefined ? ` (from ${options.source})` : "";
    super(field === "" ? `${problem}${where}` : `${field}: ${problem}${where}`, options);
    this.field = field;
    this.problem = problem;
    this.source = options?.source;
  }

  /** The same error with its source named (the CLI adds it once it knows which layer set the key). */
  withSource(source: string): ConfigError {
    return new ConfigError(this.field, this.problem, { source, cause: this.cause });
  }
}
