/**
 * V8 flags for the commands that list the cluster (run, watch, snapshot). `--optimize-for-size` makes V8 grow the
 * heap more slowly and collect sooner, so the watcher's RSS follows its live set (the key store: ~220
 * bytes per object) instead of the garbage of its initial list. Measured with 100,000 objects
 * (packages/watcher/bench/initial-list.mjs, docs/benchmarks.md): peak RSS about 500 MB with V8's
 * defaults, about 200 MB with this flag, for a list that takes ~10-30% longer.
 *
 * Applied at run time with `v8.setFlagsFromString`, before the pipeline's modules are imported, because
 * NODE_OPTIONS does not accept this flag and a launcher that re-executes Node would keep a second
 * process. `SHIPLOG_V8_FLAGS` replaces the default (empty: V8's defaults).
 */
import { setFlagsFromString } from "node:v8";

export const DEFAULT_V8_FLAGS = "--optimize-for-size";

/** The flags to apply: `SHIPLOG_V8_FLAGS` if set (may be empty), else the default. */
export function v8FlagsFromEnv(env: Readonly<Record<string, string | undefined>>): string[] {
  return (env["SHIPLOG_V8_FLAGS"] ?? DEFAULT_V8_FLAGS).split(/\s+/).filter((f) => f !== "");
}

/** Apply each flag; returns what was applied (for the start-up log line). */
export function applyV8Flags(flags: readonly string[]): string[] {
  for (const f of flags) {
    if (!f.startsWith("--"))
      throw new Error(`SHIPLOG_V8_FLAGS: "${f}" is not a V8 flag (it must start with --)`);
    setFlagsFromString(f);
  }
  return [...flags];
}
