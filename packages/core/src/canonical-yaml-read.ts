/**
 * A reader for exactly the YAML that `toYaml` writes: block maps and sequences indented by two spaces,
 * plain or double-quoted keys, plain, double-quoted and literal-block scalars, `[]` and `{}`. It is a
 * fast path only. `fromYaml` accepts its result only when `toYaml` writes that result back as the same
 * text, and otherwise parses with the full YAML library; anything else (a file edited by hand, a sops
 * file, YAML from elsewhere) returns `NOT_CANONICAL` here, usually at its first unexpected line.
 *
 * Why: the committer reads both sides of every update to summarize it, and the general library's
 * parse (lexer, CST, document) was most of the committer's CPU in a burst of 20,000 updates
 * (docs/benchmarks.md, issue 14).
 */

/** Returned for text that is not in `toYaml`'s form. */
export const NOT_CANONICAL: unique symbol = Symbol("not canonical");

class NotCanonical extends Error {}
const fail = (): never => {
  throw new NotCanonical();
};

const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:e[-+][0-9]+)?$/;
const LITERAL_HEADER = /^\|(2?)([-+]?)$/;
const SPACES = "                                                                ";

function pad(n: number): string {
  return n <= SPACES.length ? SPACES.slice(0, n) : " ".repeat(n);
}

/** Leading spaces of `line`. */
function indentOf(line: string): number {
  let n = 0;
  while (line.charCodeAt(n) === 0x20) n++;
  return n;
}

/** A double-quoted scalar starting at `line[at]` (the quote): its value and the index after it. */
function quoted(line: string, at: number): { value: string; end: number } {
  let out = "";
  let i = at + 1;
  for (;;) {
    const close = line.indexOf('"', i);
    const esc = line.indexOf("\\", i);
    if (close < 0) fail();
    if (esc < 0 || close < esc) return { value: out + line.slice(i, close), end: close + 1 };
    out += line.slice(i, esc);
    const c = line.charAt(esc + 1);
    i = esc + 2;
    if (c === '"' || c === "\\") out += c;
    else if (c === "n") out += "\n";
    else if (c === "t") out += "\t";
    else if (c === "r") out += "\r";
    else if (c === "x" || c === "u") {
      const digits = c === "x" ? 2 : 4;
      const hex = line.slice(i, i + digits);
      if (!/^[0-9A-F]+$/.test(hex) || hex.length !== digits) fail();
      out += String.fromCharCode(parseInt(hex, 16));
      i += digits;
    } else fail();
  }
}

/** The inline value `text` (after `key: ` or `- `), not a literal block. */
function inlineScalar(text: string): unknown {
  switch (text) {
    case "null":
      return null;
    case "true":
      return true;
    case "false":
      return false;
    case "[]":
      return [];
    case "{}":
      return {};
    case ".nan":
      return NaN;
    case ".inf":
      return Number.POSITIVE_INFINITY;
    case "-.inf":
      return Number.NEGATIVE_INFINITY;
    case "":
      return fail();
  }
  const c = text.charCodeAt(0);
  if (c === 0x22) {
    const q = quoted(text, 0);
    if (q.end !== text.length) fail();
    return q.value;
  }
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return NUMBER.test(text) ? Number(text) : fail();
  return text; // a plain string; the write-back check decides whether it really was one
}

class Reader {
  private i = 0;
  constructor(private readonly lines: readonly string[]) {}

  document(): unknown {
    const v = this.node(0, 2);
    if (this.i !== this.lines.length) fail();
    return v;
  }

  /** Whatever starts at column `col` of the current line; its continuation lines are indented by `col`. */
  private node(col: number, literalPad: number): unknown {
    const line = this.lines[this.i] ?? fail();
    if (line.startsWith("- ", col)) return this.seq(col);
    if (this.isEntry(line, col)) return this.map(col);
    return this.scalar(line.slice(col), literalPad);
  }

  private isEntry(line: string, col: number): boolean {
    if (line.charCodeAt(col) === 0x22) {
      const q = quoted(line, col);
      return line.charCodeAt(q.end) === 0x3a; // ':'
    }
    if (line.charCodeAt(col) === 0x7c) return false; // '|': a literal block
    return line.indexOf(": ", col) >= 0 || line.endsWith(":");
  }

  private seq(col: number): unknown[] {
    const out: unknown[] = [];
    for (let first = true; this.i < this.lines.length; first = false) {
      const line = this.lines[this.i] ?? "";
      if (!first && (indentOf(line) !== col || !line.startsWith("- ", col))) break;
      out.push(this.node(col + 2, col + 2));
    }
    return out;
  }

  private map(col: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let first = true; this.i < this.lines.length; first = false) {
      const line = this.lines[this.i] ?? "";
      if (!first && indentOf(line) !== col) break;
      let key: string;
      let after: number;
      if (line.charCodeAt(col) === 0x22) {
        const q = quoted(line, col);
        key = q.value;
        after = q.end;
        if (line.charCodeAt(after) !== 0x3a) fail();
      } else {
        const sep = line.indexOf(": ", col);
        after = sep >= 0 ? sep : line.endsWith(":") ? line.length - 1 : fail();
        key = line.slice(col, after);
      }
      if (key === "__proto__" || Object.hasOwn(out, key)) fail();
      after++; // past ':'
      if (after === line.length) {
        this.i++;
        const next = this.lines[this.i] ?? fail();
        if (indentOf(next) !== col + 2) fail();
        out[key] = this.node(col + 2, col + 2);
      } else {
        if (line.charCodeAt(after) !== 0x20) fail();
        out[key] = this.scalar(line.slice(after + 1), col + 2);
      }
    }
    return out;
  }

  /** The scalar `text` on the current line (a literal block takes the lines after it, indented by `literalPad`). */
  private scalar(text: string, literalPad: number): unknown {
    this.i++;
    if (text.charCodeAt(0) !== 0x7c) return inlineScalar(text);
    const header = LITERAL_HEADER.exec(text) ?? fail();
    const prefix = pad(literalPad);
    const body: string[] = [];
    while (this.i < this.lines.length) {
      const line = this.lines[this.i] ?? "";
      if (line === "") body.push("");
      else if (line.startsWith(prefix)) body.push(line.slice(literalPad));
      else break;
      this.i++;
    }
    let trailingEmpty = 0;
    while (trailingEmpty < body.length && body[body.length - 1 - trailingEmpty] === "") trailingEmpty++;
    if (trailingEmpty === body.length) fail();
    const content = body.slice(0, body.length - trailingEmpty).join("\n");
    const chomp = header[2];
    if (chomp !== "+" && trailingEmpty > 0) fail();
    return content + "\n".repeat(chomp === "-" ? 0 : chomp === "" ? 1 : trailingEmpty + 1);
  }
}

/** The data `text` holds if it is in `toYaml`'s form (unchecked: the caller writes it back to compare). */
export function readCanonicalYaml(text: string): unknown {
  if (!text.endsWith("\n")) return NOT_CANONICAL;
  const lines = text.split("\n");
  lines.pop();
  try {
    return new Reader(lines).document();
  } catch (err) {
    if (err instanceof NotCanonical) return NOT_CANONICAL;
    throw err;
  }
}
