import type { ChangeMessage, SyncMessage, TypesMessage, WatchMessage } from "@shiplog/core";
import { groupOfTypeId, inSyncRange, parsePath, typeDirOf } from "@shiplog/core";
import { baseOf, dirOf, invalidPathReason, joinPath } from "./git/paths.js";

/** One queue message inside a window, in queue order (`seq`). */
export interface WindowItem {
  readonly seq: number;
  readonly message: WatchMessage;
}

/** Why a whole type's files left the repository (see `TypesMessage`). */
export const TypeGoneReasons = {
  /** The server no longer serves the type (its CRD or APIService was deleted). */
  removed: "removed",
  /** The server serves it, but `watch.include`/`exclude` no longer selects it. */
  excluded: "excluded",
} as const;
export type TypeGoneReason = (typeof TypeGoneReasons)[keyof typeof TypeGoneReasons];

/** The last state of one path after a window's events were applied in order. */
export interface CollapsedChange {
  readonly path: string;
  /** Last change message for this path; undefined when the only event was a reconcile deletion. */
  readonly last: ChangeMessage | undefined;
  /** The file should not exist after the window. */
  readonly deleted: boolean;
  /** Deleted because a sync showed it vanished while nobody watched. */
  readonly vanished: boolean;
  /** Deleted because its type is no longer recorded (a types message); undefined otherwise. */
  readonly typeGone: TypeGoneReason | undefined;
  /**
   * Some message for this path came from a relist after a resumed watch's history expired (its
   * `gap`): changes between the last recorded state and this one may be missing.
   */
  readonly gap: boolean;
  /** How many events for this path the window held. */
  readonly updates: number;
  /** Queue order of the first event for this path. */
  readonly firstSeq: number;
  /** Queue order of the last event for this path. */
  readonly lastSeq: number;
  /** Type id, from the message or (for vanished files) the sync message. */
  readonly type: string;
}

export interface SkippedMessage {
  readonly seq: number;
  readonly reason: string;
}

export interface WindowPlan {
  readonly changes: CollapsedChange[];
  readonly skipped: SkippedMessage[];
  /** Replayed events older than what is already committed for their path (ignored). */
  readonly stale: number;
  /** Earliest and latest `observedAt` of the window's messages, ISO-8601. */
  readonly firstObserved: string | undefined;
  readonly lastObserved: string | undefined;
}

/** What planning needs to know about the committed tree. */
export interface TreeListing {
  fileNames(dir: string): Promise<string[]>;
  dirNames(dir: string): Promise<string[]>;
}

interface Pending {
  last: ChangeMessage | undefined;
  deleted: boolean;
  vanished: boolean;
  typeGone: TypeGoneReason | undefined;
  gap: boolean;
  updates: number;
  firstSeq: number;
  lastSeq: number;
  type: string;
}

/**
 * Queue order of the newest event already committed for a path, if known. Events older than that are
 * replays (a job whose lock expired and came back after newer jobs were committed) and must not
 * overwrite newer state.
 */
export type CommittedSeq = (path: string) => number | undefined;

/** Records `path` as deleted by message `seq`: an object that vanished, or a whole type gone. */
function markDeleted(
  pending: Map<string, Pending>,
  path: string,
  p: Pending | undefined,
  seq: number,
  type: string,
  vanished: boolean,
  typeGone: TypeGoneReason | undefined,
  gap = false,
): void {
  if (p) {
    p.deleted = true;
    p.vanished = vanished;
    p.typeGone = typeGone;
    p.gap ||= gap;
    p.updates++;
    p.lastSeq = seq;
    return;
  }
  pending.set(path, {
    last: undefined,
    deleted: true,
    vanished,
    typeGone,
    gap,
    updates: 1,
    firstSeq: seq,
    lastSeq: seq,
    type,
  });
}

/** Directories that hold files of a synced type: one per namespace in scope, or the cluster dir. */
async function typeDirs(sync: SyncMessage, tree: TreeListing): Promise<string[]> {
  if (!sync.namespaced) return [typeDirOf("", sync.type)];
  if (sync.namespaces) return sync.namespaces.map((ns) => typeDirOf(ns, sync.type));
  const typeSegment = baseOf(typeDirOf("", sync.type));
  const clusterDir = dirOf(typeDirOf("", sync.type));
  const namespaceDirs = (await tree.dirNames("")).filter((d) => d !== clusterDir);
  return namespaceDirs.map((ns) => joinPath(ns, typeSegment));
}

function messageProblem(m: WatchMessage): string | undefined {
  if (typeof m !== "object" || m === null) return "message is not an object";
  if (m.kind === "types") {
    if (!isStringArray(m.recorded)) return "types.recorded is not an array of strings";
    if (!isStringArray(m.excluded)) return "types.excluded is not an array of strings";
    if (!isStringArray(m.unavailableGroups)) return "types.unavailableGroups is not an array of strings";
    // A discovery that found nothing is a broken discovery, not a cluster without types.
    if (m.recorded.length === 0 && m.excluded.length === 0) return "types.recorded is empty";
    return undefined;
  }
  if (m.kind === "sync") {
    if (typeof m.type !== "string" || m.type === "") return "sync.type missing";
    if (!Array.isArray(m.paths)) return "sync.paths is not an array";
    if (m.range !== undefined) {
      const r: unknown = m.range;
      if (typeof r !== "object" || r === null) return "sync.range is not an object";
      const { from, to } = r as { from?: unknown; to?: unknown };
      if ((from !== undefined && typeof from !== "string") || (to !== undefined && typeof to !== "string"))
        return "sync.range bounds are not strings";
    }
    return undefined;
  }
  if (m.kind !== "change") return `unknown message kind ${String((m as { kind?: unknown }).kind)}`;
  if (typeof m.path !== "string") return "change.path missing";
  const bad = invalidPathReason(m.path);
  if (bad) return `change.path ${JSON.stringify(m.path)}: ${bad}`;
  if (m.op !== "deleted" && typeof m.content !== "string") return `change.content missing for op ${m.op}`;
  return undefined;
}

function isStringArray(v: unknown): v is readonly string[] {
  return Array.isArray(v) && v.every((x) => typeof x === "string");
}

/**
 * Every shiplog-owned path of a type that `types` no longer records, with the reason: files in the
 * committed tree and files created earlier in the window. Paths that `parsePath` does not accept
 * (a README, CI config, anything not written by shiplog) are never returned; neither are types of
 * groups whose discovery failed.
 */
async function goneTypePaths(
  types: TypesMessage,
  tree: TreeListing,
  pending: ReadonlyMap<string, Pending>,
): Promise<Map<string, TypeGoneReason>> {
  const recorded = new Set(types.recorded);
  const excluded = new Set(types.excluded);
  const unavailable = new Set(types.unavailableGroups);
  const reasonFor = (type: string): TypeGoneReason | undefined => {
    if (recorded.has(type) || unavailable.has(groupOfTypeId(type))) return undefined;
    return excluded.has(type) ? TypeGoneReasons.excluded : TypeGoneReasons.removed;
  };
  const out = new Map<string, TypeGoneReason>();
  for (const ns of await tree.dirNames("")) {
    for (const typeSegment of await tree.dirNames(ns)) {
      const dir = joinPath(ns, typeSegment);
      // The directory's type, read from a probe path; undefined for directories shiplog did not write.
      const type = parsePath(joinPath(dir, "x.yaml"))?.type;
      if (type === undefined) continue;
      const reason = reasonFor(type);
      if (reason === undefined) continue;
      for (const file of await tree.fileNames(dir)) {
        const path = joinPath(dir, file);
        if (parsePath(path)?.type === type) out.set(path, reason);
      }
    }
  }
  for (const [path, p] of pending) {
    if (p.deleted) continue;
    const type = parsePath(path)?.type;
    const reason = type === undefined ? undefined : reasonFor(type);
    if (reason !== undefined) out.set(path, reason);
  }
  return out;
}

/**
 * Apply a window's messages in queue order and collapse them to the last state per path. A sync
 * message deletes files of its type (within its range, for a part of a split key set) that are neither
 * in its key set nor (re)created later in the window.
 * A types message deletes every file of a type it does not record, unless (re)created later in the
 * window.
 */
export async function planWindow(
  items: readonly WindowItem[],
  tree: TreeListing,
  committedSeq: CommittedSeq = () => undefined,
): Promise<WindowPlan> {
  const sorted = [...items].sort((a, b) => a.seq - b.seq);
  const pending = new Map<string, Pending>();
  const listings = new Map<string, string[]>();
  /** The `.yaml` files of `dir` in the window's base tree, as full paths in string order. */
  const sortedFiles = async (dir: string): Promise<string[]> => {
    let files = listings.get(dir);
    if (files === undefined) {
      files = (await tree.fileNames(dir))
        .filter((n) => n.endsWith(".yaml"))
        .map((n) => joinPath(dir, n))
        .sort();
      listings.set(dir, files);
    }
    return files;
  };
  const skipped: SkippedMessage[] = [];
  let stale = 0;
  let firstObserved: string | undefined;
  let lastObserved: string | undefined;
  for (const { seq, message } of sorted) {
    const problem = messageProblem(message);
    if (problem) {
      skipped.push({ seq, reason: problem });
      continue;
    }
    if (typeof message.observedAt === "string") {
      if (firstObserved === undefined || message.observedAt < firstObserved)
        firstObserved = message.observedAt;
      if (lastObserved === undefined || message.observedAt > lastObserved) lastObserved = message.observedAt;
    }
    if (message.kind === "change") {
      if (seq < (committedSeq(message.path) ?? Number.NEGATIVE_INFINITY)) {
        stale++;
        continue;
      }
      const p = pending.get(message.path);
      const deleted = message.op === "deleted";
      const gap = message.gap !== undefined;
      if (p) {
        p.last = message;
        p.deleted = deleted;
        p.vanished = false;
        p.typeGone = undefined;
        p.gap ||= gap;
        p.updates++;
        p.lastSeq = seq;
        p.type = message.type;
      } else {
        pending.set(message.path, {
          last: message,
          deleted,
          vanished: false,
          typeGone: undefined,
          gap,
          updates: 1,
          firstSeq: seq,
          lastSeq: seq,
          type: message.type,
        });
      }
      continue;
    }
    if (message.kind === "types") {
      for (const [path, reason] of await goneTypePaths(message, tree, pending)) {
        if (seq < (committedSeq(path) ?? Number.NEGATIVE_INFINITY)) continue; // created after this message
        const p = pending.get(path);
        if (p?.deleted) continue;
        markDeleted(pending, path, p, seq, parsePath(path)?.type ?? "", false, reason);
      }
      continue;
    }
    const keep = new Set(message.paths);
    for (const dir of await typeDirs(message, tree)) {
      // A part of a split key set speaks only for its own range of paths: only the files in that range
      // are looked at (a sorted listing per directory, kept for the window's other parts), so the
      // ~40 parts of a 90,000-file type cost one pass over the directory, not 40.
      const files = await sortedFiles(dir);
      const from = message.range?.from;
      const to = message.range?.to;
      const lo = from === undefined ? 0 : lowerBound(files, from);
      const hi = to === undefined ? files.length : lowerBound(files, to);
      const present = new Set(files.slice(lo, hi));
      for (const [path, p] of pending) {
        if (!p.deleted && dirOf(path) === dir && inSyncRange(path, message.range)) present.add(path);
      }
      for (const path of present) {
        if (keep.has(path)) continue;
        if (seq < (committedSeq(path) ?? Number.NEGATIVE_INFINITY)) continue; // created after this sync
        const p = pending.get(path);
        if (p?.deleted) continue;
        markDeleted(pending, path, p, seq, message.type, true, undefined, message.gap !== undefined);
      }
    }
  }
  const changes = [...pending].map(([path, p]) => ({ path, ...p }));
  changes.sort((a, b) => a.firstSeq - b.firstSeq);
  return { changes, skipped, stale, firstObserved, lastObserved };
}

/** The first index of `sorted` whose value is not below `key` (string order). */
function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as string) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
