import { ConfigError } from "./config-error.js";

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/**
 * Parses a duration like `"250ms"`, `"5s"`, `"1m"`, `"1h30m"` into whole milliseconds. A number is
 * taken as milliseconds already. Throws `ConfigError` naming `field` on anything else.
 */
export function parseDuration(v: string | number, field: string): number {
  if (typeof v === "number") {
    if (Number.isInteger(v) && v >= 0) return v;
    throw new ConfigError(field, `expected a duration like "5s", got ${String(v)}`);
  }
  if (typeof v !== "string" || !WHOLE.test(v)) {
    throw new ConfigError(field, `expected a duration like "5s", got ${JSON.stringify(v)}`);
  }
  let ms = 0;
  for (const m of v.matchAll(PART)) ms += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return Math.round(ms);
}

/** The shortest string `parseDuration` reads back as `ms`, e.g. `5000` -> `"5s"`. */
export function formatDuration(ms: number): string {
  if (ms !== 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms !== 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
