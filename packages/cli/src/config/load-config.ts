/**
 * Loads the effective configuration ONCE per process: defaults < YAML file < `SHIPLOG_*` env < flags,
 * validated by core's schema (`parseConfig`). Unknown keys are errors. A validation failure is core's
 * `ConfigError` naming the full key and where its value came from (`source`: the file, the SHIPLOG_*
 * variable, the flag or `default`); `reportOf` (cli-error.ts) turns it into exit 2.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigError, parseConfig, type ShiplogConfig } from "@shiplog/core";
import { CliError, ExitCodes } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import type { GlobalOptions } from "../commands/global-options.js";
import { SHIPLOG_CONFIG_ENV } from "./env-vars.js";
import { envLayer, fileLayer, mergeLayers, sourceOf, type Layer, type RawConfig } from "./layers.js";

export interface LoadedConfig {
  config: ShiplogConfig;
  /** The merged raw input before validation (for `config print --raw` and debugging). */
  raw: RawConfig;
  /** Dotted key -> where its value came from; absent keys are defaults. */
  provenance: ReadonlyMap<string, string>;
  /** The config file read, if any. */
  file: string | undefined;
}

export interface LoadConfigOptions {
  /** Use -n/-A as the watch namespace filter (run, watch, snapshot). @defaultValue false */
  namespaceFilter?: boolean;
  /** Extra flag-level overrides a command adds (e.g. `--quiet-period`). */
  extra?: ReadonlyArray<readonly [key: string, value: unknown, source: string]>;
  /** @defaultValue fs.readFileSync */
  readFile?: (path: string) => string;
}

export function flagLayer(
  g: GlobalOptions,
  namespaceFilter: boolean,
  extra: LoadConfigOptions["extra"] = [],
): Layer {
  const values: Array<readonly [string, unknown, string]> = [];
  if (g.kubeconfig !== undefined) values.push(["kubernetes.kubeconfig", g.kubeconfig, "--kubeconfig"]);
  if (g.context !== undefined) values.push(["kubernetes.context", g.context, "--context"]);
  if (g.redisUrl !== undefined) values.push(["redis.url", g.redisUrl, "--redis-url"]);
  if (g.repo !== undefined) values.push(["repo.path", g.repo, "--repo"]);
  if (g.logLevel !== undefined) values.push(["log.level", g.logLevel, "--log-level"]);
  if (namespaceFilter && g.namespace !== undefined)
    values.push(["watch.include.namespaces", [g.namespace], "--namespace"]);
  if (namespaceFilter && g.allNamespaces === true)
    values.push(["watch.include.namespaces", [], "--all-namespaces"]);
  values.push(...extra);
  return { source: "flags", values };
}

export function loadConfig(
  g: GlobalOptions,
  io: Pick<CliIo, "env" | "cwd">,
  opts: LoadConfigOptions = {},
): LoadedConfig {
  const readFile = opts.readFile ?? ((p: string) => readFileSync(p, "utf8"));
  const fileArg = g.config ?? io.env[SHIPLOG_CONFIG_ENV];
  const layers: Layer[] = [];
  let file: string | undefined;
  if (fileArg !== undefined && fileArg !== "") {
    file = resolve(io.cwd, fileArg);
    let text: string;
    try {
      text = readFile(file);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const why =
        code === "ENOENT" ? "does not exist" : code === "EACCES" ? "is not readable" : String(code ?? err);
      throw new CliError(`config file ${file} ${why}`, ExitCodes.config, { cause: err });
    }
    layers.push(fileLayer(file, text));
  }
  layers.push(envLayer(io.env));
  layers.push(flagLayer(g, opts.namespaceFilter === true, opts.extra));
  const { raw, provenance } = mergeLayers(layers);
  let config: ShiplogConfig;
  try {
    config = parseConfig(raw);
  } catch (err) {
    // Say which file, variable or flag set the bad key.
    if (err instanceof ConfigError) throw err.withSource(sourceOf(provenance, err.field) ?? "default");
    throw err;
  }
  return { config, raw, provenance, file };
}
