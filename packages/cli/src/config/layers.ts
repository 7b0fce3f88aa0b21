/**
 * Builds the raw (unvalidated) configuration from its layers, lowest first: the YAML file, the
 * `SHIPLOG_*` environment, then command-line flags. Each layer is a partial object; later layers win
 * key by key (arrays are replaced, not merged). Every key set records where it came from, so that a
 * validation error can say which file, variable or flag to fix.
 */
import { ConfigError } from "@shiplog/core";
import { parse as parseYaml } from "yaml";
import { EnvVars } from "./env-vars.js";

export type RawConfig = Record<string, unknown>;

export interface Layer {
  /** Shown in errors: a file path, an env var name, a flag. */
  readonly source: string;
  /** Dotted key → value. */
  readonly values: ReadonlyArray<readonly [key: string, value: unknown, source?: string]>;
}

export interface LayeredConfig {
  raw: RawConfig;
  /** Dotted key → source of its value. Keys absent here come from the defaults. */
  provenance: Map<string, string>;
}

/** Parses the YAML config file into a layer. `text` is the file's content. */
export function fileLayer(path: string, text: string): Layer {
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: false, uniqueKeys: true });
  } catch (err) {
    const msg = err instanceof Error ? (err.message.split("\n")[0] ?? "") : String(err);
    throw new ConfigError("", `config file ${path} is not valid YAML: ${msg}`, { cause: err });
  }
  if (doc === null || doc === undefined) return { source: path, values: [] };
  if (typeof doc !== "object" || Array.isArray(doc)) {
    throw new ConfigError("", `config file ${path} must be a YAML mapping at the top level`);
  }
  return { source: path, values: flatten(doc as RawConfig, "").map(([k, v]) => [k, v, path] as const) };
}

/** Flattens nested objects into dotted keys; arrays and scalars are leaves. Empty objects are kept. */
function flatten(obj: RawConfig, prefix: string): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix === "" ? k : `${prefix}.${k}`;
    if (v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0) {
      out.push(...flatten(v as RawConfig, key));
    } else {
      out.push([key, v]);
    }
  }
  return out;
}

/** The `SHIPLOG_*` variables that are set (and non-empty) as a layer. */
export function envLayer(env: Readonly<Record<string, string | undefined>>): Layer {
  const values: Array<readonly [string, unknown, string]> = [];
  for (const v of EnvVars) {
    const raw = env[v.name];
    if (raw === undefined || raw === "") continue;
    const value =
      v.type === "list"
        ? raw
            .split(",")
            .map((s) => s.trim())
            .filter((s) => s !== "")
        : raw;
    values.push([v.key, value, v.name]);
  }
  return { source: "environment", values };
}

/** Merges layers in order. */
export function mergeLayers(layers: readonly Layer[]): LayeredConfig {
  const raw: RawConfig = {};
  const provenance = new Map<string, string>();
  for (const layer of layers) {
    for (const [key, value, source] of layer.values) {
      setPath(raw, key, value, source ?? layer.source);
      provenance.set(key, source ?? layer.source);
    }
  }
  return { raw, provenance };
}

function setPath(obj: RawConfig, dotted: string, value: unknown, source: string): void {
  const parts = dotted.split(".");
  let cur = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    const p = parts[i] as string;
    const next = cur[p];
    if (next === undefined || next === null) {
      const fresh: RawConfig = {};
      cur[p] = fresh;
      cur = fresh;
    } else if (typeof next === "object" && !Array.isArray(next)) {
      cur = next as RawConfig;
    } else {
      throw new ConfigError(parts.slice(0, i + 1).join("."), "expected a mapping", { source });
    }
  }
  cur[parts[parts.length - 1] as string] = value;
}

/** The source of `field` or of its closest parent key that has one. */
export function sourceOf(provenance: ReadonlyMap<string, string>, field: string): string | undefined {
  let key = field;
  for (;;) {
    const s = provenance.get(key);
    if (s !== undefined) return s;
    // a child of the field may be the culprit (e.g. field "watch" for an unknown key "watch.foo")
    for (const [k, src] of provenance) if (k.startsWith(`${key}.`)) return src;
    const dot = key.lastIndexOf(".");
    if (dot < 0) return undefined;
    key = key.slice(0, dot);
  }
}
