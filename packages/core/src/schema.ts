/**
 * A tiny declarative schema: each field knows how to parse and check a raw value, its default and its
 * documentation. `config.ts` describes the whole configuration with it once, so parsing, defaults and
 * the generated reference (`configReference`) cannot drift apart.
 */
import { ConfigError } from "./config-error.js";
import { formatDuration, parseDuration } from "./duration.js";

export interface Field<T> {
  /** Type as shown in the reference, e.g. `string`, `duration`, `list of string`. */
  readonly type: string;
  readonly description: string;
  /** Default as shown in the reference. */
  readonly shownDefault: string;
  /** Parses a raw value; `undefined` means "absent" and yields the default. */
  parse(raw: unknown, path: string): T;
  /** Sub-fields, for the reference. */
  readonly fields?: Readonly<Record<string, Field<unknown>>>;
  /** Item field of a list of objects, for the reference. */
  readonly item?: Field<unknown>;
}

interface Doc {
  readonly description: string;
}

function describe(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return `${typeof v} ${JSON.stringify(v) ?? ""}`;
}

function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

export function str(
  d: Doc & { default: string; check?: (v: string) => string | undefined; type?: string },
): Field<string> {
  return {
    type: d.type ?? "string",
    description: d.description,
    shownDefault: JSON.stringify(d.default),
    parse(raw, path) {
      if (raw === undefined) return d.default;
      if (typeof raw !== "string") throw new ConfigError(path, `expected a string, got ${describe(raw)}`);
      const problem = d.check?.(raw);
      if (problem !== undefined) throw new ConfigError(path, problem);
      return raw;
    },
  };
}

export function optStr(
  d: Doc & { check?: (v: string) => string | undefined; type?: string },
): Field<string | undefined> {
  return {
    type: d.type ?? "string",
    description: d.description,
    shownDefault: "(unset)",
    parse(raw, path) {
      if (raw === undefined || raw === null) return undefined;
      if (typeof raw !== "string") throw new ConfigError(path, `expected a string, got ${describe(raw)}`);
      const problem = d.check?.(raw);
      if (problem !== undefined) throw new ConfigError(path, problem);
      return raw;
    },
  };
}

export function bool(d: Doc & { default: boolean }): Field<boolean> {
  return {
    type: "boolean",
    description: d.description,
    shownDefault: String(d.default),
    parse(raw, path) {
      if (raw === undefined) return d.default;
      if (typeof raw !== "boolean")
        throw new ConfigError(path, `expected true or false, got ${describe(raw)}`);
      return raw;
    },
  };
}

export function int(d: Doc & { default: number; min: number; max: number }): Field<number> {
  return {
    type: `integer ${d.min}..${d.max}`,
    description: d.description,
    shownDefault: String(d.default),
    parse(raw, path) {
      if (raw === undefined) return d.default;
      if (typeof raw !== "number" || !Number.isInteger(raw) || raw < d.min || raw > d.max) {
        throw new ConfigError(path, `expected an integer from ${d.min} to ${d.max}, got ${describe(raw)}`);
      }
      return raw;
    },
  };
}

const SIZE = /^([0-9]+)(Ki|Mi|Gi)?$/;
const SIZE_UNITS = { "": 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 } as const;

/** `65536`, `"512Ki"`, `"64Mi"`, `"1Gi"` as bytes (binary suffixes, as Kubernetes quantities). */
export function parseSize(raw: string | number): number | undefined {
  if (typeof raw === "number") return Number.isSafeInteger(raw) && raw >= 0 ? raw : undefined;
  const m = SIZE.exec(raw.trim());
  if (m === null) return undefined;
  const n = Number(m[1]) * SIZE_UNITS[(m[2] ?? "") as keyof typeof SIZE_UNITS];
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Bytes in the largest binary unit that divides them: 67108864 -> "64Mi". */
export function formatSize(n: number): string {
  if (n > 0 && n % 1024 ** 3 === 0) return `${n / 1024 ** 3}Gi`;
  if (n > 0 && n % 1024 ** 2 === 0) return `${n / 1024 ** 2}Mi`;
  if (n > 0 && n % 1024 === 0) return `${n / 1024}Ki`;
  return String(n);
}

/** A size in bytes: an integer, or a string with Ki, Mi or Gi. */
export function size(d: Doc & { default: string; min: number; max: number }): Field<number> {
  const def = parseSize(d.default);
  if (def === undefined) throw new Error(`schema: bad size default ${d.default}`);
  return {
    type: `size (bytes, or Ki/Mi/Gi) ${formatSize(d.min)}..${formatSize(d.max)}`,
    description: d.description,
    shownDefault: JSON.stringify(d.default),
    parse(raw, path) {
      if (raw === undefined) return def;
      const n = typeof raw === "string" || typeof raw === "number" ? parseSize(raw) : undefined;
      if (n === undefined)
        throw new ConfigError(
          path,
          `expected a size like "64Mi", "512Ki" or a number of bytes, got ${describe(raw)}`,
        );
      if (n < d.min || n > d.max)
        throw new ConfigError(
          path,
          `must be from ${formatSize(d.min)} to ${formatSize(d.max)}, got ${describe(raw)}`,
        );
      return n;
    },
  };
}

/** A duration string, parsed to milliseconds. */
export function duration(d: Doc & { default: string; min?: number }): Field<number> {
  const def = parseDuration(d.default, "(schema default)");
  const min = d.min ?? 0;
  return {
    type: "duration",
    description: d.description,
    shownDefault: JSON.stringify(d.default),
    parse(raw, path) {
      if (raw === undefined) return def;
      if (typeof raw === "number" && raw !== 0) {
        throw new ConfigError(path, `expected a duration like "5s", got ${raw} (add a unit: ms, s, m, h)`);
      }
      if (typeof raw !== "string" && typeof raw !== "number") {
        throw new ConfigError(path, `expected a duration like "5s", got ${describe(raw)}`);
      }
      const ms = parseDuration(raw, path);
      if (ms < min)
        throw new ConfigError(path, `must be at least ${formatDuration(min)}, got ${JSON.stringify(raw)}`);
      return ms;
    },
  };
}

export function oneOf<const V extends string>(values: readonly V[], d: Doc & { default: V }): Field<V> {
  return {
    type: values.join(" \\| "),
    description: d.description,
    shownDefault: d.default,
    parse(raw, path) {
      if (raw === undefined) return d.default;
      if (typeof raw !== "string" || !(values as readonly string[]).includes(raw)) {
        throw new ConfigError(path, `expected one of ${values.join(", ")}, got ${describe(raw)}`);
      }
      return raw as V;
    },
  };
}

/** A list of strings (each checked), default copied on every parse. */
export function strList<V extends string = string>(
  d: Doc & { default: readonly V[]; check?: (v: string) => string | undefined },
): Field<V[]> {
  return {
    type: "list of string",
    description: d.description,
    shownDefault: JSON.stringify(d.default),
    parse(raw, path) {
      if (raw === undefined) return [...d.default];
      if (!Array.isArray(raw)) throw new ConfigError(path, `expected a list, got ${describe(raw)}`);
      return raw.map((v: unknown, i) => {
        const p = `${path}[${i}]`;
        if (typeof v !== "string") throw new ConfigError(p, `expected a string, got ${describe(v)}`);
        const problem = d.check?.(v);
        if (problem !== undefined) throw new ConfigError(p, problem);
        return v as V;
      });
    },
  };
}

/** Like `strList` but absent stays `undefined` (meaning "no restriction"). */
export function optStrList<V extends string = string>(
  d: Doc & { check?: (v: string) => string | undefined },
): Field<V[] | undefined> {
  const inner = strList<V>({ ...d, default: [] });
  return {
    type: "list of string",
    description: d.description,
    shownDefault: "(unset)",
    parse(raw, path) {
      return raw === undefined || raw === null ? undefined : inner.parse(raw, path);
    },
  };
}

function distance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0] as number;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j] as number;
      dp[j] = Math.min(
        (dp[j] as number) + 1,
        (dp[j - 1] as number) + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      prev = tmp;
    }
  }
  return dp[b.length] as number;
}

function suggest(key: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const dist = distance(key.toLowerCase(), k.toLowerCase());
    if (dist < bestD) {
      bestD = dist;
      best = k;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(best.length / 3))
    ? ` (did you mean ${best}?)`
    : "";
}

export type Fields<T> = { readonly [K in keyof T]-?: Field<T[K]> };

/** A mapping with known keys; unknown keys are errors. `check` runs after the fields parsed. */
export function obj<T>(d: Doc & { fields: Fields<T>; check?: (v: T, path: string) => void }): Field<T> {
  const keys = Object.keys(d.fields);
  const fields = d.fields as unknown as Readonly<Record<string, Field<unknown>>>;
  return {
    type: "mapping",
    description: d.description,
    shownDefault: "",
    fields,
    parse(raw, path) {
      const src = raw === undefined || raw === null ? {} : raw;
      if (typeof src !== "object" || Array.isArray(src)) {
        throw new ConfigError(path, `expected a mapping, got ${describe(raw)}`);
      }
      const rec = src as Record<string, unknown>;
      for (const k of Object.keys(rec)) {
        if (!Object.hasOwn(fields, k)) throw new ConfigError(join(path, k), `unknown key${suggest(k, keys)}`);
      }
      const out: Record<string, unknown> = {};
      for (const k of keys) {
        const v = (fields[k] as Field<unknown>).parse(rec[k], join(path, k));
        if (v !== undefined) out[k] = v;
      }
      d.check?.(out as T, path);
      return out as T;
    },
  };
}

/** An optional mapping: absent stays `undefined`. */
export function optObj<T>(inner: Field<T>): Field<T | undefined> {
  return {
    ...inner,
    shownDefault: "(unset)",
    parse(raw, path) {
      return raw === undefined || raw === null ? undefined : inner.parse(raw, path);
    },
  };
}

/** A list of mappings. */
export function list<T>(item: Field<T>, d: Doc & { check?: (v: T[], path: string) => void }): Field<T[]> {
  return {
    type: "list of mapping",
    description: d.description,
    shownDefault: "[]",
    item: item,
    parse(raw, path) {
      if (raw === undefined || raw === null) return [];
      if (!Array.isArray(raw)) throw new ConfigError(path, `expected a list, got ${describe(raw)}`);
      const out = raw.map((v: unknown, i) => item.parse(v, `${path}[${i}]`));
      d.check?.(out, path);
      return out;
    },
  };
}

/** Markdown rows `| key | type | default | description |` for every leaf, depth first. */
export function referenceRows(field: Field<unknown>, path: string, rows: string[]): void {
  const cell = (s: string): string => s.replaceAll("|", "\\|").replaceAll("\n", " ");
  if (field.fields !== undefined) {
    if (path !== "") rows.push(`| \`${path}\` | mapping | | ${cell(field.description)} |`);
    for (const [k, f] of Object.entries(field.fields)) referenceRows(f, join(path, k), rows);
    return;
  }
  if (field.item !== undefined) {
    rows.push(`| \`${path}\` | list of mapping | \`[]\` | ${cell(field.description)} |`);
    referenceRows(field.item, `${path}[]`, rows);
    return;
  }
  const def = field.shownDefault === "" ? "" : `\`${field.shownDefault}\``;
  rows.push(`| \`${path}\` | ${field.type} | ${def} | ${cell(field.description)} |`);
}
