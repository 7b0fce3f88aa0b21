/**
 * Defence in depth against Secret values in chat. Published commits are already redacted by core
 * (values are keyed fingerprints `shiplog:hmac-sha256:…`), but a bug upstream must not turn into a
 * leaked password in a Slack channel. For changes of kind Secret every diff or summary value that is
 * not a secret mode's marker (or plainly harmless metadata) is replaced by a marker, and the count is
 * reported.
 */
import type { PublishedChange, PublishedCommit } from "@shiplog/core";
import { SECRET_MODE_NAMES, SecretModeRegistry } from "@shiplog/core";

export const WITHHELD = "‹withheld›";

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * A whole value that a secret mode writes in place of a secret value, optionally quoted. The markers
 * come from core's `SecretModeRegistry`, so a new mode's marker is recognised: a marker ending in `:`
 * prefixes a hex digest (a fingerprint, `shiplog:hmac-sha256:<hex>`), any other marker is the whole
 * value (`shiplog:omitted`).
 */
const MARKER_VALUE = new RegExp(
  `^["']?(${SECRET_MODE_NAMES.flatMap((mode) => {
    const marker = SecretModeRegistry[mode].marker;
    if (marker === undefined) return [];
    return [marker.endsWith(":") ? `${escapeRe(marker)}[0-9a-f]{16,64}` : escapeRe(marker)];
  }).join("|")})["']?$`,
);
/** The short form core's summaries use for a fingerprint: `hmac:1a2b3c4d`. */
const SHORT_FINGERPRINT = /^hmac:[0-9a-f]{4,64}$/;

/** Values that cannot carry a secret. */
const HARMLESS = /^(|\{\}|\[\]|null|~|true|false|["']{2})$/;
/** Top-level fields of a Secret whose values are shown as they are. */
const PLAIN_TOP = new Set(["apiVersion", "kind", "type", "immutable"]);
/** metadata fields whose values are shown as they are (labels are handled as a block). */
const PLAIN_META = new Set(["name", "namespace", "uid", "creationTimestamp", "generateName"]);

export function isSecretChange(ch: Pick<PublishedChange, "kind" | "type">): boolean {
  return ch.kind === "Secret" || ch.type === "secrets";
}

/** A marker a secret mode wrote (see `MARKER_VALUE`), not a secret value. */
export function isMarkerValue(value: string): boolean {
  return MARKER_VALUE.test(value.trim());
}

function safeValue(value: string): boolean {
  const v = value.trim();
  return HARMLESS.test(v) || isMarkerValue(v);
}

/** A hunk's section as core's `yamlSection` writes it, when the guard may rely on it. */
const SECTION = /^(?:(metadata)\.(labels|annotations)|([A-Za-z][A-Za-z0-9_-]*))$/;

interface DiffState {
  /** Top-level key the line is under, or undefined when unknown (start of a hunk). */
  top: string | undefined;
  /** metadata sub-key (labels, annotations, ...). */
  sub: string | undefined;
}

/** Guard one YAML line of a Secret diff. Returns the line to show. */
function guardYamlLine(text: string, st: DiffState): { text: string; withheld: boolean } {
  const m = /^(\s*)(- )?([^\s:#][^:]*?|"[^"]*"|'[^']*'):(?:\s+(.*))?$/.exec(text);
  if (m) {
    const indent = (m[1] ?? "").length;
    const dash = m[2] ?? "";
    const key = m[3] ?? "";
    const value = m[4] ?? "";
    if (indent === 0 && dash === "") {
      st.top = key;
      st.sub = undefined;
      if (PLAIN_TOP.has(key) || safeValue(value)) return { text, withheld: false };
    } else if (
      st.top === undefined &&
      indent === 2 &&
      value === "" &&
      (key === "labels" || key === "annotations")
    ) {
      // A hunk that starts inside metadata: Secret data values are scalars, so an indented key opening a
      // map named labels/annotations can only be metadata's.
      st.top = "metadata";
      st.sub = key;
      return { text, withheld: false };
    } else if (st.top === "metadata") {
      if (indent === 2) {
        st.sub = key;
        if (PLAIN_META.has(key) || safeValue(value)) return { text, withheld: false };
      } else if (st.sub === "labels" && indent === 4) {
        return { text, withheld: false };
      } else if (safeValue(value)) {
        return { text, withheld: false };
      }
    } else if (safeValue(value) && !/^[|>]/.test(value.trim())) {
      return { text, withheld: false };
    }
    return { text: `${m[1] ?? ""}${dash}${key}: ${WITHHELD}`, withheld: true };
  }
  if (text.trim() === "" || text.trim() === "---") return { text, withheld: false };
  // A block-scalar continuation, list item or anything else without a key: never shown for a Secret.
  const indent = /^\s*/.exec(text)?.[0] ?? "";
  return { text: `${indent}${WITHHELD}`, withheld: true };
}

/** Guard a unified diff of a Secret. Headers are kept; content lines are checked. */
export function guardSecretDiff(diff: string): { diff: string; withheld: number } {
  const st: DiffState = { top: undefined, sub: undefined };
  let withheld = 0;
  const out = diff.split("\n").map((line) => {
    if (
      line.startsWith("--- ") ||
      line.startsWith("+++ ") ||
      line.startsWith("Index: ") ||
      /^={5,}$/.test(line)
    ) {
      return line;
    }
    if (line.startsWith("@@")) {
      st.top = undefined;
      st.sub = undefined;
      // Keep the range, and the section core's unifiedDiff names after it when it is one: a top-level
      // key, or metadata's labels/annotations. Anything else after the second @@ is content: dropped.
      const hunk = /^(@@ [^@]* @@)(?: (.*))?$/.exec(line);
      if (!hunk) return "@@";
      const section = SECTION.exec(hunk[2] ?? "");
      if (section === null) return hunk[1] ?? "@@";
      st.top = section[1] ?? section[3];
      st.sub = section[2];
      return `${hunk[1] ?? "@@"} ${hunk[2] ?? ""}`;
    }
    if (line.startsWith("\\") || /^… \d+ more lines$/.test(line)) return line;
    const prefix = line[0];
    if (prefix === " " || prefix === "+" || prefix === "-") {
      const g = guardYamlLine(line.slice(1), st);
      if (g.withheld) withheld++;
      return prefix + g.text;
    }
    if (line === "") return line;
    withheld++;
    return WITHHELD;
  });
  return { diff: out.join("\n"), withheld };
}

/** Summary values that cannot carry a secret: fingerprints and core's placeholders for structures. */
function safeSummaryValue(v: string): boolean {
  const t = v.trim();
  return safeValue(t) || SHORT_FINGERPRINT.test(t) || t === "{…}" || /^\[\d+ items\]$/.test(t);
}

const PLAIN_SUMMARY_PATH = /^metadata\.(labels|name|namespace)(\.|$)/;
const PLAIN_SUMMARY_PART = /^(created|deleted|no field changes|\d+ field changes|\(\+\d+ more\))$/;

function guardSummaryPart(part: string): string | undefined {
  if (PLAIN_SUMMARY_PART.test(part) || /^-\S+$/.test(part)) return undefined;
  const add = /^\+([^=\s]+)=(.*)$/s.exec(part);
  if (add) {
    const path = add[1] ?? "";
    if (PLAIN_SUMMARY_PATH.test(path) || safeSummaryValue(add[2] ?? "")) return undefined;
    return `+${path}=${WITHHELD}`;
  }
  const rep = /^(\S+) (.*)$/s.exec(part);
  if (rep) {
    const path = rep[1] ?? "";
    if (PLAIN_SUMMARY_PATH.test(path) || (rep[2] ?? "").split("→").every(safeSummaryValue)) return undefined;
    return `${path} changed (${WITHHELD})`;
  }
  return WITHHELD;
}

/**
 * Guard a Secret's field summary in core's format (`data.password hmac:1a2b3c4d→hmac:5e6f7a8b;
 * +data.token=hmac:…; -data.old; (+3 more)`). Parts whose values are not fingerprints keep their
 * path but lose the value; parts of an unknown shape are withheld whole.
 */
export function guardSecretSummary(summary: string): { summary: string; withheld: number } {
  let withheld = 0;
  const parts = summary.split("; ").map((part) => {
    const guarded = guardSummaryPart(part);
    if (guarded === undefined) return part;
    withheld++;
    return guarded;
  });
  return { summary: parts.join("; "), withheld };
}

/** Guard every Secret change of a commit. Non-Secret changes pass unchanged. */
export function guardCommit(commit: PublishedCommit): { commit: PublishedCommit; withheld: number } {
  let withheld = 0;
  let touched = false;
  const changes = commit.changes.map((ch) => {
    if (!isSecretChange(ch)) return ch;
    const d = guardSecretDiff(ch.diff);
    const s = guardSecretSummary(ch.summary);
    withheld += d.withheld + s.withheld;
    if (d.withheld === 0 && s.withheld === 0) return ch;
    touched = true;
    return { ...ch, diff: d.diff, summary: s.summary };
  });
  return { commit: touched ? { ...commit, changes } : commit, withheld };
}
