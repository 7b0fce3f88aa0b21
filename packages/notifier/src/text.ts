/**
 * Text budgeting shared by the platform formatters: cut at line boundaries, count what was cut, and
 * say so. Lengths are counted in UTF-16 code units, which is what the platforms' limits count (or
 * over-count), so a message measured here is never longer there.
 */

export interface Packed {
  readonly text: string;
  /** Lines that did not fit. */
  readonly cut: number;
}

/** Cut one string to at most `max` characters, ending with `…` when cut; never splits a surrogate pair. */
export function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  if (max <= 1) return "…".slice(0, max);
  let end = max - 1;
  const code = s.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${s.slice(0, end)}…`;
}

/**
 * Join as many whole lines as fit in `max` characters, keeping room for the closing note that says how
 * many lines were cut (`note(cut)`), which is appended when something was cut. A single line longer
 * than the budget is clipped.
 */
export function packLines(lines: readonly string[], max: number, note: (cut: number) => string): Packed {
  const full = lines.join("\n");
  if (full.length <= max) return { text: full, cut: 0 };
  const reserve = note(lines.length).length + 1;
  const budget = Math.max(0, max - reserve);
  const kept: string[] = [];
  let used = 0;
  let partial = false;
  for (const line of lines) {
    const add = (kept.length === 0 ? 0 : 1) + line.length;
    if (used + add > budget) {
      if (kept.length === 0 && budget > 0) {
        kept.push(clip(line, budget));
        partial = true;
      }
      break;
    }
    kept.push(line);
    used += add;
  }
  const cut = lines.length - kept.length + (partial ? 1 : 0);
  const text = kept.length === 0 ? note(cut) : `${kept.join("\n")}\n${note(cut)}`;
  return { text: clip(text, max), cut };
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export interface Cuts {
  changes: number;
  diffLines: number;
  commits: number;
}

export function noCuts(): Cuts {
  return { changes: 0, diffLines: 0, commits: 0 };
}

export function anyCut(c: Cuts): boolean {
  return c.changes > 0 || c.diffLines > 0 || c.commits > 0;
}

/** `Cut to fit Slack's limits: 12 changes and 340 diff lines not shown.` */
export function cutSentence(platform: string, c: Cuts): string {
  const parts: string[] = [];
  if (c.commits > 0) parts.push(plural(c.commits, "commit"));
  if (c.changes > 0) parts.push(plural(c.changes, "change"));
  if (c.diffLines > 0) parts.push(plural(c.diffLines, "diff line"));
  return `Cut to fit ${platform}'s limits: ${parts.join(" and ")} not shown.`;
}

/** `… 12 more diff lines` */
export function moreLines(n: number): string {
  return `… ${n} more diff line${n === 1 ? "" : "s"}`;
}

/**
 * A diff's lines within `max` characters. `upstreamCut` lines were already cut before (by the
 * renderer or the committer); the note counts them too. `cut` is the total not shown.
 */
export function packDiff(lines: readonly string[], upstreamCut: number, max: number): Packed {
  const full = upstreamCut > 0 ? [...lines, moreLines(upstreamCut)].join("\n") : lines.join("\n");
  if (full.length <= max) return { text: full, cut: upstreamCut };
  const packed = packLines(lines, max, (n) => moreLines(n + upstreamCut));
  return { text: packed.text, cut: packed.cut + upstreamCut };
}

/** Pack lines into at most `maxChunks` chunks of at most `maxChars` each; `cut` lines did not fit. */
export function chunkLines(
  lines: readonly string[],
  maxChars: number,
  maxChunks: number,
): { chunks: string[]; cut: number } {
  const chunks: string[] = [];
  let current: string[] = [];
  let size = 0;
  let i = 0;
  for (; i < lines.length; i++) {
    const line = clip(lines[i] ?? "", maxChars);
    const add = (current.length === 0 ? 0 : 1) + line.length;
    if (size + add > maxChars) {
      if (chunks.length + 1 >= maxChunks) break;
      chunks.push(current.join("\n"));
      current = [];
      size = 0;
    }
    size += (current.length === 0 ? 0 : 1) + line.length;
    current.push(line);
  }
  if (current.length > 0) chunks.push(current.join("\n"));
  return { chunks, cut: lines.length - i };
}

/** Neutralise triple backticks so a diff cannot close its code block early. */
export function fenceSafe(s: string): string {
  return s.replace(/```/g, "`\u200b`\u200b`");
}
