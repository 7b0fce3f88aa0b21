/**
 * Blame-friendly YAML: deterministic, block style, no line folding, literal blocks for multi-line
 * strings. A small purpose-built emitter for JSON-shaped data (objects, arrays, strings, finite
 * numbers, booleans, null) that is an order of magnitude faster than a general YAML library and
 * quotes conservatively so that YAML 1.1 readers (e.g. older Go yaml) and 1.2 readers agree.
 * See docs/adr/0011-normalisation-and-yaml.md.
 */
import { isRecord } from "./guards.js";
import { parse } from "yaml";
import { NOT_CANONICAL, readCanonicalYaml } from "./canonical-yaml-read.js";

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
/** A character outside LITERAL_OK's set, surrogates aside. */
const LITERAL_BAD_FAST = /[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ufefe\uff00-\ufffd]/;
const SURROGATE = /[\ud800-\udfff]/;
/** Characters a double-quoted scalar may contain unescaped. */
const DQ_OK =
  /^[\x20\x21\x23-\x5b\x5d-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\u{10000}-\u{10ffff}]*$/u;

/** A line break followed by a non-empty line. */
const NON_EMPTY_LINE_START = /\n(?!\n)/g;

/** `e5`, `E0`: not numbers in YAML 1.1 or 1.2, but some 1.1 readers (the `yaml` library) take them as floats. */
const EXPONENT_ONLY = /^[eE][-+]?[0-9_.]*$/;

function isPlain(s: string): boolean {
  return (
    PLAIN.test(s) &&
    !(s.length <= 5 && KEYWORDS.has(s.toLowerCase())) &&
    !PLAIN_BAD.test(s) &&
    !EXPONENT_ONLY.test(s)
  );
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
  if (s.length > 64) return isPlain(s) ? s : quote(s);
  return key(s); // short values recur as often as keys (protocols, images, label values): same cache
}

/** Rendered keys: the same few hundred keys recur in every object, so their rendering is cached. */
const keyCache = new Map<string, string>();
const KEY_CACHE_MAX = 4096;

function key(k: string): string {
  let r = keyCache.get(k);
  if (r !== undefined) return r;
  r = isPlain(k) ? k : quote(k);
  if (k.length <= 64) {
    if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear();
    keyCache.set(k, r);
  }
  return r;
}

/**
 * A literal block (`|`) for a multi-line string, or `undefined` when the string cannot be one
 * faithfully (control characters, CR, only newlines, a last line of only blanks).
 */
function literal(s: string, indent: string): string | undefined {
  // The /u check is slow on long text; the plain class (surrogates allowed) settles most strings.
  if (LITERAL_BAD_FAST.test(s) || (SURROGATE.test(s) && !LITERAL_OK.test(s))) return undefined;
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0x0a) end--;
  if (end === 0) return undefined;
  // A last line of only blanks does not survive: a parser reads it as trailing whitespace of the
  // block, and editors strip it. Such strings are quoted instead.
  const lastLine = s.slice(s.lastIndexOf("\n", end - 1) + 1, end);
  if (/^[ \t]*$/.test(lastLine)) return undefined;
  const trailing = s.length - end;
  const chomp = trailing === 0 ? "-" : trailing === 1 ? "" : "+";
  const content = s.slice(0, end);
  // An indentation indicator is needed when the first line starts with a space or is blank (the
  // parser would otherwise take its spaces as indentation or find a later line less indented).
  const c0 = content.charCodeAt(0);
  const indicator = c0 === 0x20 || c0 === 0x0a ? "2" : "";
  const pad = indent + "  ";
  // Every non-empty line gets the indentation; empty lines stay empty (no trailing whitespace).
  const body = (c0 === 0x0a ? "" : pad) + content.replace(NON_EMPTY_LINE_START, "\n" + pad);
  return `|${indicator}${chomp}\n${body}${"\n".repeat(trailing > 1 ? trailing - 1 : 0)}`;
}

/** Where a mapping sits, which decides its key order. */
export type KeyContext = "top" | "metadata" | "other";

/** The keys of `obj` in the order `toYaml` writes them (undefined members left out). */
export function orderedKeys(obj: Record<string, unknown>, ctx: KeyContext): string[] {
  return sortedKeys(obj, ctx === "top" ? TOP_ORDER : ctx === "metadata" ? META_ORDER : []);
}

function sortedKeys(obj: Record<string, unknown>, first: readonly string[]): string[] {
  const all = Object.keys(obj);
  if (first.length === 0) {
    let keys = all;
    for (const k of all) {
      if (obj[k] === undefined) {
        keys = all.filter((x) => obj[x] !== undefined);
        break;
      }
    }
    return keys.sort();
  }
  const keys: string[] = [];
  const rest: string[] = [];
  for (const k of all) if (obj[k] !== undefined && !first.includes(k)) rest.push(k);
  for (const k of first) if (obj[k] !== undefined) keys.push(k);
  rest.sort();
  return keys.concat(rest);
}

function hasDefinedMember(v: object): boolean {
  for (const k in v) if (Object.hasOwn(v, k) && (v as Record<string, unknown>)[k] !== undefined) return true;
  return false;
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
      return hasDefinedMember(v) ? undefined : "{}";
    default:
      throw new TypeError(`toYaml: cannot serialise a ${typeof v}`);
  }
}

/**
 * Emits a mapping as lines ending in "\n". The first line starts with `first` instead of `indent`
 * (a sequence item's `- `); the rest are indented by `indent`.
 */
function emitMap(
  obj: Record<string, unknown>,
  indent: string,
  order: readonly string[],
  first: string,
): string {
  let out = "";
  let prefix = first;
  for (const k of sortedKeys(obj, order)) {
    const v = obj[k];
    const head = prefix + key(k) + ":";
    prefix = indent;
    const s = inline(v, indent);
    if (s !== undefined) out += head + " " + s + "\n";
    else {
      const inner = indent + "  ";
      out +=
        head + "\n" + emitBlock(v, inner, k === "metadata" && order === TOP_ORDER ? META_ORDER : [], inner);
    }
  }
  return out;
}

function emitSeq(arr: readonly unknown[], indent: string, first: string): string {
  let out = "";
  let prefix = first;
  for (const item of arr) {
    const dash = prefix + "- ";
    prefix = indent;
    const s = inline(item, indent);
    out += s !== undefined ? dash + s + "\n" : emitBlock(item, indent + "  ", [], dash);
  }
  return out;
}

function emitBlock(v: unknown, indent: string, order: readonly string[], first: string): string {
  if (Array.isArray(v)) return emitSeq(v, indent, first);
  if (isRecord(v)) return emitMap(v, indent, order, first);
  throw new TypeError("toYaml: internal error, not a block value");
}

/**
 * Serialises JSON-shaped data. Keys are ordered `apiVersion`, `kind`, `metadata` (with `name`,
 * `namespace` first), then code-unit order at every level; `undefined` members are dropped as in JSON.
 */
export function toYaml(value: unknown): string {
  const s = inline(value, "");
  if (s !== undefined) return s + "\n";
  return emitBlock(value, "", isRecord(value) ? TOP_ORDER : [], "");
}

/**
 * Parses YAML written by `toYaml` (or any YAML 1.2 document) into plain data. Text in `toYaml`'s own
 * form is read by a reader for just that form, and its result is kept only if `toYaml` writes it back
 * as the same text; anything else goes to the full YAML library.
 */
export function fromYaml(text: string): unknown {
  const fast = readCanonicalYaml(text);
  if (fast !== NOT_CANONICAL && toYaml(fast) === text) return fast;
  return parseFull(text);
}

/** The full YAML library's parse, whatever the text's form. */
export function parseFull(text: string): unknown {
  return parse(text, { version: "1.2", schema: "core", maxAliasCount: 100, uniqueKeys: true }) as unknown;
}
