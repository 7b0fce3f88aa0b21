/**
 * Defence in depth against Secret values in chat. Published commits are already redacted by core
 * (values are keyed fingerprints `shiplog:hmac-sha256:…`), but a bug upstream must not turn into a
 * leaked password in a Slack channel. For changes of kind Secret every diff or summary value that is
 * not a fingerprint (or plainly harmless metadata) is replaced by a marker, and the count is reported.
 */
import type { PublishedChange, PublishedCommit } from "@shiplog/core";

export const WITHHELD = "‹withheld›";

const FINGERPRINT = /^["']?shiplog:[a-z0-9-]+:[A-Za-z0-9+/=_-]{8,}["']?$/;
/** Values that cannot carry a secret. */
const HARMLESS = /^(|\{\}|\[\]|null|~|true|false|["']{2})$/;
/** Top-level fields of a Secret whose values are shown as they are. */
const PLAIN_TOP = new Set(["apiVersion", "kind", "type", "immutable"]);
/** metadata fields whose values are shown as they are (labels are handled as a block). */
const PLAIN_META = new Set(["name", "namespace", "uid", "creationTimestamp", "generateName"]);

export function isSecretChange(ch: Pick<PublishedChange, "kind" | "type">): boolean {
  return ch.kind === "Secret" || ch.type === "secrets";
}

export function isFingerprint(value: string): boolean {
  return FINGERPRINT.test(value.trim());
}

function safeValue(value: string): boolean {
  const v = value.trim();
  return HARMLESS.test(v) || isFingerprint(v);
}

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
      // Keep only the range part; anything git puts after the second @@ is content.
      const range = /^@@ [^@]* @@/.exec(line);
      return range ? range[0] : "@@";
    }
    if (line.startsWith("\\")) return line;
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

/**
 * Guard a Secret's field summary, e.g. `data.password shiplog:hmac-sha256:ab→shiplog:hmac-sha256:cd;
 * metadata.labels.app a→b`. Parts whose values are not fingerprints keep their path but lose the value.
 */
export function guardSecretSummary(summary: string): { summary: string; withheld: number } {
  let withheld = 0;
  const parts = summary.split("; ").map((part) => {
    const space = part.indexOf(" ");
    if (space < 0) return part;
    const path = part.slice(0, space);
    const rest = part.slice(space + 1);
    if (/^metadata\.(labels|name|namespace)\b/.test(path)) return part;
    const tokens = rest.split(/\s*(?:→|->)\s*|\s+/).filter((t) => t !== "");
    const words =
      /^(\(?(added|removed|changed|created|deleted|set|unset|none|empty)\)?|∅|[-+~]|\(\d+ keys?\)|\d+ keys?)$/;
    if (tokens.every((t) => words.test(t) || safeValue(t))) return part;
    withheld++;
    return `${path} changed (${WITHHELD})`;
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
