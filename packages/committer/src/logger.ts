/** pino-compatible structured logger. The committer never prints; the CLI passes pino in. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

const ignore = (): void => undefined;
export const silentLogger: Logger = { info: ignore, warn: ignore, error: ignore, debug: ignore };
