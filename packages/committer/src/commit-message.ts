import type { Author, ChangeOp } from "@shiplog/core";
import type { TypeGoneReason } from "./window-plan.js";

/** How a commit says why a type's files left the repository. */
export const TYPE_GONE_TEXT: Readonly<Record<TypeGoneReason, string>> = {
  removed: "type removed from the API",
  excluded: "no longer recorded by config",
};

const TYPE_GONE_EXPLAINED: Readonly<Record<TypeGoneReason, readonly string[]>> = {
  removed: [
    "Objects marked (type removed from the API) belong to a type the API server no longer serves",
    "(its CustomResourceDefinition or APIService was deleted).",
  ],
  excluded: [
    "Objects marked (no longer recorded by config) belong to a type that watch.include/exclude no",
    "longer selects.",
  ],
};

/** One line of a commit: what happened to one object. */
export interface MessageChange {
  readonly op: ChangeOp;
  readonly type: string;
  readonly namespace: string;
  readonly name: string;
  readonly updates: number;
  readonly summary: string;
  readonly vanished: boolean;
  /** Deleted because its whole type is no longer recorded. */
  readonly typeGone?: TypeGoneReason | undefined;
  /** Comes from a relist after a resumed watch's history expired (see core's `WatchGaps`). */
  readonly gap?: boolean | undefined;
}

export interface MessageContext {
  readonly cluster: string;
  readonly windowStart: string;
  readonly windowEnd: string;
  /** The commit's changes' authors (one Git author; the sources and details can differ). */
  readonly authors?: readonly Author[];
}

/** Longest trailer value kept (user agents can be long); the rest is cut with "...". */
const MAX_TRAILER_VALUE = 200;

/** The author trailers in the order they are written, and what each says of one author. */
const AUTHOR_TRAILERS: ReadonlyArray<readonly [string, (a: Author) => string | undefined]> = [
  ["Shiplog-Attribution", (a) => a.source],
  ["Shiplog-User", (a) => a.username],
  ["Shiplog-Impersonator", (a) => a.impersonator],
  ["Shiplog-Field-Manager", (a) => a.fieldManager],
  ["Shiplog-User-Agent", (a) => a.userAgent],
  [
    "Shiplog-Attribution-Note",
    (a) =>
      a.fallbackReason === undefined
        ? undefined
        : `${a.fallbackReason}; ${a.source === "field-manager" ? "the field manager is credited" : "the author is unknown"}`,
  ],
];

/**
 * Who made the commit's changes, as Git trailers (`git log --format=%(trailers:key=Shiplog-User)`):
 * the attribution source, the Kubernetes user, the impersonator, field managers and user agents, and
 * why the field manager was credited when a configured source had no identity. Each distinct value
 * once, in the order the changes came.
 */
export function authorTrailers(authors: readonly Author[]): string[] {
  const lines: string[] = [];
  const add = (key: string, values: ReadonlyArray<string | undefined>): void => {
    const seen = new Set<string>();
    for (const v of values) {
      if (v === undefined || v === "") continue;
      let one = oneLine(v);
      if (one.length > MAX_TRAILER_VALUE) one = `${one.slice(0, MAX_TRAILER_VALUE - 3)}...`;
      if (seen.has(one)) continue;
      seen.add(one);
      lines.push(`${key}: ${one}`);
    }
  };
  for (const [key, value] of AUTHOR_TRAILERS) add(key, authors.map(value));
  return lines;
}

export function objectLabel(c: Pick<MessageChange, "type" | "namespace" | "name">): string {
  return `${c.type} ${c.namespace === "" ? c.name : `${c.namespace}/${c.name}`}`;
}

function updatesNote(n: number): string {
  return n > 1 ? ` (${n} updates)` : "";
}

/**
 * `update deployments.apps default/web (3 updates)`, `delete configmaps default/a (+2 more)`. A subject
 * names the first change of the commit and counts the rest.
 */
export function commitSubject(changes: readonly MessageChange[]): string {
  const first = changes[0];
  if (!first) throw new Error("commitSubject: no changes");
  const more = changes.length > 1 ? ` (+${changes.length - 1} more)` : updatesNote(first.updates);
  const vanished = changes.every((c) => c.vanished) ? " (vanished while not watched)" : "";
  const gone = first.typeGone;
  const typeGone =
    gone !== undefined && changes.every((c) => c.typeGone === gone) ? ` (${TYPE_GONE_TEXT[gone]})` : "";
  return `${first.op} ${objectLabel(first)}${more}${vanished}${typeGone}`;
}

/** Subject, a blank line, one line per change with its field-level summary, then the trailers. */
export function commitMessage(changes: readonly MessageChange[], ctx: MessageContext): string {
  const lines = [commitSubject(changes), ""];
  if (changes.some((c) => c.vanished)) {
    lines.push(
      "Objects marked (vanished) were deleted while shiplog was not watching; a resync found",
      "them missing.",
      "",
    );
  }
  if (changes.some((c) => c.gap === true)) {
    // No per-line marker: republish.ts parses the change lines back.
    lines.push(
      "Some of these changes come from a relist: shiplog resumed a watch after a restart, but the",
      "API server's history had expired (410 Gone), so intermediate changes of these objects may",
      "be missing; each file shows the object's state at the relist.",
      "",
    );
  }
  for (const reason of Object.keys(TYPE_GONE_TEXT) as TypeGoneReason[]) {
    if (changes.some((c) => c.typeGone === reason)) lines.push(...TYPE_GONE_EXPLAINED[reason], "");
  }
  for (const c of changes) {
    const gone = c.typeGone === undefined ? "" : ` (${TYPE_GONE_TEXT[c.typeGone]})`;
    const what = `${c.op} ${objectLabel(c)}${updatesNote(c.updates)}${c.vanished ? " (vanished)" : ""}${gone}`;
    // the reason is already on the line
    const summary = c.typeGone === undefined ? oneLine(c.summary) : "";
    lines.push(summary === "" ? `- ${what}` : `- ${what}: ${summary}`);
  }
  lines.push(
    "",
    `Shiplog-Cluster: ${oneLine(ctx.cluster)}`,
    `Shiplog-Window-Start: ${ctx.windowStart}`,
    `Shiplog-Window-End: ${ctx.windowEnd}`,
    ...authorTrailers(ctx.authors ?? []),
  );
  return `${lines.join("\n")}\n`;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, "; ").trim();
}
