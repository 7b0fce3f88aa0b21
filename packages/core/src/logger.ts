/**
 * The pipeline's logger: pino-compatible and structured (`logger.info({ type, rv }, "relisted")`).
 * Libraries log through an injected `Logger` and never print; the CLI passes pino in. Anything that
 * came from a Secret is redacted before it reaches a log line.
 */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

const ignore = (): void => undefined;

/** A logger that discards everything (the default of every package's `logger` option). */
export const silentLogger: Logger = { info: ignore, warn: ignore, error: ignore, debug: ignore };
