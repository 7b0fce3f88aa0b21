/**
 * Blame-friendly YAML: deterministic, block style, no line folding, literal blocks for multi-line
 * strings. A small purpose-built emitter for JSON-shaped data (objects, arrays, strings, finite
 * numbers, booleans, null) that is an order of magnitude faster than a general YAML library and
 * quotes conservatively so that YAML 1.1 readers (e.g. older Go yaml) and 1.2 readers agree.
 * See docs/adr/0011-normalisation-and-yaml.md.
 */
import { parse } from "yaml";

/** Top-level keys written first, in this order; everything else follows in code-unit order. */
const TOP_ORDER = ["apiVersion", "kind", "metadata"] as const;
/** Keys of `metadata` written first. */
const META_ORDER = ["name", "namespace"] as const;

/**
 * Plain (unquoted) scalars: start with a letter, `/` or `_`; contain only a conservative set of
 * characters; no `: ` or ` #`; do not end in `:` or space. YAML 1.1/1.2 keywords are excluded below.
 */
const PLAIN = /^[A-Za-z_/][A-Za-z0-9_\-./:@+=,~ ]*$/;
const PLAIN_BAD = /: | #|[: ]$/;
const KEYWORDS = new Set(["y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf"]);

/** Characters a literal block may contain (printable, no CR, no NEL/LS/PS, no BOM). */
const LITERAL_OK =
  /^[\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\u{10000}-\u{10ffff}]*$/u;
/** Characters a double-quoted scalar may contain unescaped. */
const DQ_OK =
  /^[\x20\x21\x23-\x5b\x5d-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\u{10000}-\u{10ffff}]*$/u;

function isPlain(s: string): boolean {
  return PLAIN.test(s) && !PLAIN_BAD.test(s) && !KEYWORDS.has(s.toLowerCase());
}

function hex(n: number, width: number): string {
  return n.toString(16).toUpperCase().padStart(width, "0");
}

/** A double-quoted scalar with YAML escapes. */
export function quote(s: string): string {
  if (DQ_OK.test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x09) out += "\\t";
    else if (c === 0x0d) out += "\\r";
    else if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c === 0xfeff || c === 0xfffe || c === 0xffff) {
      out += c <= 0xff ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`;
    } else if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += s.charAt(i) + s.charAt(i + 1);
        i++;
      } else out += `\\u${hex(c, 4)}`;
    } else if (c >= 0xdc00 && c <= 0xdfff) out += `\\u${hex(c, 4)}`;
    else if (c === 0x2028 || c === 0x2029) out += `\\u${hex(c, 4)}`;
    else out += s.charAt(i);
  }
  return out + '"';
}

function scalarString(s: string): string {
  return isPlain(s) ? s : quote(s);
}

function key(k: string): string {
  return isPlain(k) ? k : quote(k);
}

/**
 * A literal block (`|`) for a multi-line string, or `undefined` when the string cannot be one
 * faithfully (control characters, CR, only newlines).
 */
function literal(s: string, indent: string): string | undefined {
  if (!LITERAL_OK.test(s)) return undefined;
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0x0a) end--;
  if (end === 0) return undefined;
  const trailing = s.length - end;
  const chomp = trailing === 0 ? "-" : trailing === 1 ? "" : "+";
  const lines = s.slice(0, end).split("\n");
  // An indentation indicator is needed when the first line starts with a space (the parser would
  // otherwise take its spaces as indentation) or when an early blank line is longer than the first.
  const first = lines[0] as string;
  const indicator = first.charCodeAt(0) === 0x20 || first.length === 0 || /^ *$/.test(first) ? "2" : "";
  let out = `|${indicator}${chomp}`;
  for (const line of lines) out += line.length === 0 ? "\n" : `\n${indent}  ${line}`;
  for (let i = 1; i < trailing; i++) out += "\n";
  return out;
}

/** Where a mapping sits, which decides its key order. */
export type KeyContext = "top" | "metadata" | "other";

/** The keys of `obj` in the order `toYaml` writes them (undefined members left out). */
export function orderedKeys(obj: Record<string, unknown>, ctx: KeyContext): string[] {
  return sortedKeys(obj, ctx === "top" ? TOP_ORDER : ctx === "metadata" ? META_ORDER : []);
}

function sortedKeys(obj: Record<string, unknown>, first: readonly string[]): string[] {
  const keys: string[] = [];
  const rest: string[] = [];
  for (const k of Object.keys(obj)) {
    if (obj[k] === undefined) continue;
    if (first.includes(k)) continue;
    rest.push(k);
  }
  for (const k of first) if (obj[k] !== undefined) keys.push(k);
  rest.sort();
  return keys.concat(rest);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Inline form of a value after `key:` or `- `, or `undefined` when it needs a nested block. */
function inline(v: unknown, indent: string): string | undefined {
  switch (typeof v) {
    case "string":
      if (v.includes("\n")) return literal(v, indent) ?? quote(v);
      return scalarString(v);
    case "number":
      if (Number.isNaN(v)) return ".nan";
      if (!Number.isFinite(v)) return v > 0 ? ".inf" : "-.inf";
      return Object.is(v, -0) ? "-0.0" : String(v);
    case "boolean":
      return v ? "true" : "false";
    case "bigint":
      return v.toString();
    case "undefined":
      return "null";
    case "object":
      if (v === null) return "null";
      if (Array.isArray(v)) return v.length === 0 ? "[]" : undefined;
      return Object.keys(v).some((k) => (v as Record<string, unknown>)[k] !== undefined) ? undefined : "{}";
    default:
      throw new TypeError(`toYaml: cannot serialise a ${typeof v}`);
  }
}

function emitMap(
  obj: Record<string, unknown>,
  indent: string,
  order: readonly string[],
  out: string[],
): void {
  for (const k of sortedKeys(obj, order)) {
    const v = obj[k];
    const head = indent + key(k) + ":";
    const s = inline(v, indent);
    if (s !== undefined) out.push(`${head} ${s}`);
    else {
      out.push(head);
      emitBlock(v, indent + "  ", k === "metadata" && order === TOP_ORDER ? META_ORDER : [], out);
    }
  }
}

function emitSeq(arr: readonly unknown[], indent: string, out: string[]): void {
  for (const item of arr) {
    const s = inline(item, indent);
    if (s !== undefined) {
      out.push(`${indent}- ${s}`);
      continue;
    }
    // Nested block: emit it at indent + 2, then merge the first line onto the dash.
    const start = out.length;
    emitBlock(item, indent + "  ", [], out);
    const firstLine = out[start] as string;
    out[start] = `${indent}- ${firstLine.slice(indent.length + 2)}`;
  }
}

function emitBlock(v: unknown, indent: string, order: readonly string[], out: string[]): void {
  if (Array.isArray(v)) emitSeq(v, indent, out);
  else if (isRecord(v)) emitMap(v, indent, order, out);
  else throw new TypeError("toYaml: internal error, not a block value");
}

/**
 * Serialises JSON-shaped data. Keys are ordered `apiVersion`, `kind`, `metadata` (with `name`,
 * `namespace` first), then code-unit order at every level; `undefined` members are dropped as in JSON.
 */
export function toYaml(value: unknown): string {
  const s = inline(value, "");
  if (s !== undefined) return s + "\n";
  const out: string[] = [];
  emitBlock(value, "", isRecord(value) ? TOP_ORDER : [], out);
  return out.join("\n") + "\n";
}

/** Parses YAML written by `toYaml` (or any YAML 1.2 document) into plain data. */
export function fromYaml(text: string): unknown {
  return parse(text, { version: "1.2", schema: "core", maxAliasCount: 100, uniqueKeys: true }) as unknown;
}
