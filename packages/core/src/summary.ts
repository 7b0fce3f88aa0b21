/**
 * Change summaries for commits and chat: the redacted diff view of a file, plaintext-free equality of
 * encrypted Secrets, an RFC 6902 patch with a short human summary, and a bounded unified diff.
 */
import { isRecord } from "./guards.js";
import { createTwoFilesPatch } from "diff";
import jsonpatch from "fast-json-patch";
import type { Operation } from "fast-json-patch";
import { FINGERPRINT_PREFIX } from "./fingerprint.js";
import type { ChangeOp } from "./messages.js";
import { parsePointer, setAt, updateAt } from "./pointer.js";
import { FINGERPRINTS_ANNOTATION, isEncryptedValue, SOPS_KEY } from "./sops-format.js";
import { fromYaml, toYaml } from "./canonical-yaml.js";

export type { Operation } from "fast-json-patch";

/** Shown for an encrypted value whose fingerprint is unknown (e.g. a file sops wrote, not shiplog). */
export const ENCRYPTED_PLACEHOLDER = "shiplog:encrypted";

const SUMMARY_MAX_CHARS = 300;
const SUMMARY_MAX_ITEMS = 6;
const VALUE_MAX_CHARS = 40;

function isSopsText(text: string): boolean {
  return text.startsWith(`${SOPS_KEY}:\n`) || text.includes(`\n${SOPS_KEY}:\n`);
}

function replaceEncrypted(v: unknown): unknown {
  if (isEncryptedValue(v)) return ENCRYPTED_PLACEHOLDER;
  if (Array.isArray(v)) return v.map(replaceEncrypted);
  if (isRecord(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = replaceEncrypted(x);
    return out;
  }
  return v;
}

function readFingerprints(doc: Record<string, unknown>): Record<string, string> {
  const meta = doc["metadata"];
  const ann = isRecord(meta) ? meta["annotations"] : undefined;
  const raw = isRecord(ann) ? ann[FINGERPRINTS_ANNOTATION] : undefined;
  if (typeof raw !== "string") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    // A hand-edited annotation: fall back to placeholders for every encrypted value.
    if (err instanceof SyntaxError) return {};
    throw err;
  }
  const out: Record<string, string> = {};
  if (isRecord(parsed)) for (const [k, v] of Object.entries(parsed)) if (typeof v === "string") out[k] = v;
  return out;
}

/**
 * Text safe to show in a diff or chat. For a sops document: encrypted values replaced by their
 * fingerprints, the sops block and the fingerprints annotation dropped, so the result equals the
 * redact-mode file of the same Secret. Any other text is returned unchanged.
 */
export function diffView(fileText: string): string {
  if (!isSopsText(fileText)) return fileText;
  const parsed = fromYaml(fileText);
  if (!isRecord(parsed)) return fileText;
  const fps = readFingerprints(parsed);
  let doc: unknown = { ...parsed };
  delete (doc as Record<string, unknown>)[SOPS_KEY];
  for (const [ptr, fp] of Object.entries(fps)) {
    let p: readonly string[];
    try {
      p = parsePointer(ptr);
    } catch (err) {
      if (err instanceof RangeError) continue; // not a pointer: ignore that entry
      throw err;
    }
    if (isEncryptedValue(getAt(doc, p)) || getAt(doc, p) === "") doc = setAt(doc, p, fp);
  }
  doc = updateAt(doc, ["metadata", "annotations", FINGERPRINTS_ANNOTATION], () => undefined);
  const meta = (doc as Record<string, unknown>)["metadata"];
  if (isRecord(meta) && isRecord(meta["annotations"]) && Object.keys(meta["annotations"]).length === 0) {
    doc = updateAt(doc, ["metadata", "annotations"], () => undefined);
  }
  return toYaml(replaceEncrypted(doc));
}

function getAt(doc: unknown, path: readonly string[]): unknown {
  let cur = doc;
  for (const seg of path) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

/**
 * True when two files record the same object. Encrypted Secrets compare by their fingerprint views
 * (new ciphertext of the same plaintext is "the same"), everything else by text.
 */
export function sameContent(prevText: string, nextText: string): boolean {
  if (prevText === nextText) return true;
  if (!isSopsText(prevText) || !isSopsText(nextText)) return false;
  return diffView(prevText) === diffView(nextText);
}

function shortValue(v: unknown): string {
  if (typeof v === "string") {
    if (v.startsWith(FINGERPRINT_PREFIX))
      return `hmac:${v.slice(FINGERPRINT_PREFIX.length, FINGERPRINT_PREFIX.length + 8)}`;
    const oneLine = v.includes("\n") ? `${v.split("\n", 1)[0] ?? ""}…` : v;
    return oneLine.length > VALUE_MAX_CHARS ? `${oneLine.slice(0, VALUE_MAX_CHARS - 1)}…` : oneLine;
  }
  if (Array.isArray(v)) return `[${v.length} items]`;
  if (isRecord(v)) return "{…}";
  return JSON.stringify(v) ?? "null";
}

/** `spec.template.spec.containers[web].image` style path, shortened for the pod template. */
function humanPath(ptr: string, doc: unknown): string {
  const segs = parsePointer(ptr);
  let out = "";
  let cur = doc;
  for (const seg of segs) {
    if (Array.isArray(cur)) {
      const item: unknown = cur[Number(seg)];
      const name = isRecord(item) ? item["name"] : undefined;
      out += typeof name === "string" && name !== "" ? `[${name}]` : `[${seg}]`;
      cur = item;
    } else {
      out += out === "" ? seg : `.${seg}`;
      cur = isRecord(cur) ? cur[seg] : undefined;
    }
  }
  return out.startsWith("spec.template.spec.") ? out.slice("spec.template.spec.".length) : out;
}

function describeOp(op: Operation, prev: unknown, next: unknown): string {
  switch (op.op) {
    case "replace":
      return `${humanPath(op.path, next)} ${shortValue(getAt(prev, parsePointer(op.path)))}→${shortValue(op.value)}`;
    case "add":
      return `+${humanPath(op.path, next)}=${shortValue(op.value)}`;
    case "remove":
      return `-${humanPath(op.path, prev)}`;
    case "move":
    case "copy":
    case "test":
    case "_get":
      return `${op.op} ${humanPath(op.path, next)}`;
  }
}

/**
 * Op, RFC 6902 patch (between the diff views) and a bounded one-line summary such as
 * `spec.replicas 2→3; containers[web].image nginx:1.25→nginx:1.27`. Secret values appear only as
 * fingerprints because the inputs are protected files and their diff views are compared.
 */
export function summarizeChange(
  prevText: string | undefined,
  nextText: string | undefined,
): { op: ChangeOp; patch: Operation[]; summary: string } {
  const op: ChangeOp = prevText === undefined ? "create" : nextText === undefined ? "delete" : "update";
  const prev = prevText === undefined ? {} : fromYaml(diffView(prevText));
  const next = nextText === undefined ? {} : fromYaml(diffView(nextText));
  const patch = jsonpatch.compare(prev ?? {}, next ?? {});
  patch.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (op !== "update") return { op, patch, summary: op === "create" ? "created" : "deleted" };
  if (patch.length === 0) return { op, patch, summary: "no field changes" };
  const parts: string[] = [];
  let len = 0;
  for (const p of patch) {
    const d = describeOp(p, prev, next);
    if (parts.length >= SUMMARY_MAX_ITEMS || len + d.length > SUMMARY_MAX_CHARS) break;
    parts.push(d);
    len += d.length + 2;
  }
  const rest = patch.length - parts.length;
  const summary =
    parts.length === 0
      ? `${patch.length} field changes`
      : parts.join("; ") + (rest > 0 ? `; (+${rest} more)` : "");
  return { op, patch, summary };
}

/**
 * Unified diff of the diff views (never ciphertext or plaintext secrets) with `a/` and `b/` paths.
 * `""` stands for "no file". Output longer than `maxLines` is cut with a note.
 */
const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@$/;
/** A mapping key at `indent` spaces, as canonical YAML writes it (no quotes, no flow). */
const SECTION_KEY = /^( *)([A-Za-z][A-Za-z0-9_-]*):(?: |$)/;

/**
 * The YAML section a hunk starts in, as git's "function context" after the second `@@`: the top-level
 * key (`metadata`, `data`, ...) and, for a line deeper down, the second-level key above it, joined by
 * a dot (`metadata.labels`). Without it a reader (and the notifier's Secret guard) cannot tell a label
 * from a Secret data key when the hunk starts inside a map. Empty when unknown.
 */
export function yamlSection(lines: readonly string[], firstLine: number): string {
  let top: string | undefined;
  let sub: string | undefined;
  const own = /^ */.exec(lines[firstLine] ?? "")?.[0].length ?? 0;
  for (let i = firstLine - 1; i >= 0 && top === undefined; i--) {
    const m = SECTION_KEY.exec(lines[i] ?? "");
    if (!m) continue;
    const indent = m[1]?.length ?? 0;
    if (indent === 0) top = m[2];
    else if (indent === 2 && sub === undefined && own > 2) sub = m[2];
  }
  if (top === undefined || own === 0) return "";
  return sub !== undefined ? `${top}.${sub}` : top;
}

function withSection(line: string, oldLines: readonly string[], newLines: readonly string[]): string {
  const m = HUNK.exec(line);
  if (!m) return line;
  const newCount = m[4] === undefined ? 1 : Number(m[4]);
  const section =
    newCount > 0 ? yamlSection(newLines, Number(m[3]) - 1) : yamlSection(oldLines, Number(m[1]) - 1);
  return section === "" ? line : `${line} ${section}`;
}

export function unifiedDiff(
  oldText: string,
  newText: string,
  path: string,
  opts?: { context?: number; maxLines?: number },
): string {
  const context = opts?.context ?? 3;
  const maxLines = opts?.maxLines ?? 200;
  const raw = createTwoFilesPatch(
    `a/${path}`,
    `b/${path}`,
    diffView(oldText),
    diffView(newText),
    undefined,
    undefined,
    {
      context,
    },
  );
  const lines = raw.split("\n");
  const start = lines.findIndex((l) => l.startsWith("--- "));
  const oldLines = diffView(oldText).split("\n");
  const newLines = diffView(newText).split("\n");
  const body = (start < 0 ? lines : lines.slice(start))
    .filter((l, i, a) => !(i === a.length - 1 && l === ""))
    .map((l) => withSection(l, oldLines, newLines));
  if (body.length <= maxLines) return body.join("\n") + "\n";
  return body.slice(0, maxLines).join("\n") + `\n… ${body.length - maxLines} more lines\n`;
}
