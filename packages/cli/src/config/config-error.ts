/**
 * The effective configuration is invalid. `field` is the dotted key (`secrets.mode`), `source` says
 * where the bad value came from (`SHIPLOG_SECRETS_MODE`, `--context`, `/etc/shiplog.yaml`, `default`).
 */
export class CliConfigError extends Error {
  override readonly name = "CliConfigError";
  readonly field: string | undefined;
  readonly source: string | undefined;

  constructor(message: string, field?: string, source?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.field = field;
    this.source = source;
  }
}
