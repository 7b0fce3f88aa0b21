/**
 * Construction-time checks for package options (`new Committer(...)`, `new Watcher(...)`,
 * `new Notifier(...)`). Config values arrive already checked by the schema; these guard the options a
 * program passes directly, and throw the same `ConfigError`, naming `<scope>.<option>`.
 */
import { ConfigError } from "./config-error.js";

/** Checks of one package's options; `scope` prefixes every field name (e.g. "committer"). */
export interface OptionChecks {
  /** An integer in [min, max]; `undefined` yields `def`. */
  int(name: string, v: number | undefined, def: number, min: number, max?: number): number;
  /** A non-empty string. */
  nonEmpty(name: string, v: unknown): string;
  /** Throws `ConfigError(<scope>.<name>, problem)` unless `ok`. */
  require(ok: boolean, name: string, problem: string): void;
}

export function optionChecks(scope: string): OptionChecks {
  const field = (name: string): string => `${scope}.${name}`;
  return {
    int(name, v, def, min, max = Number.MAX_SAFE_INTEGER) {
      if (v === undefined) return def;
      if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
        const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
        throw new ConfigError(field(name), `must be an integer ${range}, got ${String(v)}`);
      }
      return v;
    },
    nonEmpty(name, v) {
      if (typeof v !== "string" || v.trim() === "")
        throw new ConfigError(field(name), "must be a non-empty string");
      return v;
    },
    require(ok, name, problem) {
      if (!ok) throw new ConfigError(field(name), problem);
    },
  };
}
