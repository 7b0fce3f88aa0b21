/**
 * The process logger: pino JSON lines on stderr (stdout stays free for command output such as
 * `restore` manifests). Libraries get it injected as core's `Logger` (`{info,warn,error,debug}(obj, msg)`).
 *
 * Secret values must never reach a log line. The libraries only log keys and counts, never object
 * contents; as a second fence, pino's `redact` censors every field that could carry secret material
 * if it ever were logged (object bodies, data/stringData, keys, tokens, URLs with credentials).
 */
import { ConfigError, LogLevels } from "@shiplog/core";
import { pino, type Logger as PinoLogger } from "pino";

export const LOG_REDACT_PATHS = [
  "content",
  "*.content",
  "object",
  "*.object",
  "data",
  "*.data",
  "stringData",
  "*.stringData",
  "hmacKey",
  "*.hmacKey",
  "secrets.hmacKey",
  "token",
  "*.token",
  "password",
  "*.password",
  "identity",
  "*.identity",
  "manifest",
  "*.manifest",
  // ioredis puts a failed AUTH's arguments, the password among them, on its errors.
  "command.args",
  "*.command.args",
  "*.*.command.args",
  "sentinelPassword",
  "*.sentinelPassword",
] as const;

export interface LoggerOptions {
  /** @defaultValue "info" */
  level?: string;
  /** Where lines go. @defaultValue stderr (fd 2) */
  destination?: NodeJS.WritableStream | number;
  /** Static fields on every line. */
  base?: Record<string, unknown>;
}

/** The pino logger of the process; it has `child()` for each stage's component field. */
export type ProcessLogger = PinoLogger;

export function createLogger(opts: LoggerOptions = {}): ProcessLogger {
  const level = opts.level ?? "info";
  const levels: readonly string[] = Object.values(LogLevels);
  if (!levels.includes(level)) {
    throw new ConfigError("log.level", `must be one of ${levels.join(", ")} (got "${level}")`);
  }
  const dest = opts.destination ?? 2;
  return pino(
    {
      level,
      base: { name: "shiplog", ...opts.base },
      redact: { paths: [...LOG_REDACT_PATHS], censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    typeof dest === "number" ? pino.destination({ fd: dest, sync: true }) : dest,
  );
}
