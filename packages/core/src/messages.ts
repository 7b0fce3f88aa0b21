/**
 * Queue message types. The watcher produces `WatchMessage`s, the committer consumes them and produces
 * `PublishedCommit`s, the notifier consumes those. They live here so that no two pipeline stages import
 * each other. Messages carry only canonical, already-protected content: a plaintext Secret value never
 * reaches Redis.
 */
import { Defaults } from "./defaults.js";
import type { ResourceKey } from "./resource.js";

/** BullMQ queue names (a deployment-wide prefix is added by the caller). */
export const QueueNames = {
  /** watcher -> committer */
  events: "shiplog-events",
  /** committer -> notifier */
  commits: "shiplog-commits",
} as const;

/** What the watcher saw. `listed` is an object present in a (re)list, not necessarily new. */
export const WatchOps = {
  added: "added",
  modified: "modified",
  deleted: "deleted",
  listed: "listed",
} as const;
export type WatchOp = (typeof WatchOps)[keyof typeof WatchOps];

/**
 * Why a relist may hide intermediate changes. `expired`: a watch resumed from a stored
 * resourceVersion got 410 Gone (the apiserver's history no longer reaches back that far), so the
 * watcher relisted and only each object's current state is known.
 */
export const WatchGaps = { expired: "expired" } as const;
export type WatchGap = (typeof WatchGaps)[keyof typeof WatchGaps];

/** One object changed (or was seen in a list). */
export interface ChangeMessage {
  readonly kind: "change";
  readonly op: WatchOp;
  /** kubectl-style type id, e.g. `deployments.apps` (see `typeId`). */
  readonly type: string;
  readonly key: ResourceKey;
  /** Repo path of the object's file (see `paths.ts`). */
  readonly path: string;
  readonly resourceVersion: string;
  /** ISO-8601 time the watcher observed the event. */
  readonly observedAt: string;
  /** Field manager that made the latest change (from managedFields), if known. */
  readonly manager?: string;
  /** ISO-8601 time of the latest managedFields entry, if known. */
  readonly changedAt?: string;
  /** Labels of the object (for notifier routing); absent on deletes of unknown objects. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Canonical, protected file content (YAML). Absent for `deleted`. */
  readonly content?: string;
  /** Hash of the canonical content as the watcher deduplicates it (stable across re-encryption). */
  readonly contentHash?: string;
  /** Set on messages of a relist that replaced a resumed watch (see `WatchGaps`). */
  readonly gap?: WatchGap;
}

/**
 * The part of a type's sorted key set that one sync message carries: every path `p` of the type with
 * `from <= p < to` (JavaScript string order; an absent bound is open).
 */
export interface SyncRange {
  readonly from?: string;
  readonly to?: string;
}

/**
 * A (re)list of one type completed: `paths` is the complete set of files that type should have (within
 * `range`, when the key set was split into several messages; see `syncMessages`). Files of the type
 * that are not in the set vanished while nobody watched.
 */
export interface SyncMessage {
  readonly kind: "sync";
  readonly type: string;
  readonly group: string;
  readonly resource: string;
  readonly namespaced: boolean;
  /** Namespaces in scope when the watcher filters by namespace; absent = all. */
  readonly namespaces?: readonly string[];
  readonly paths: readonly string[];
  /** Which part of the key set `paths` is; absent: all of it. */
  readonly range?: SyncRange;
  readonly resourceVersion: string;
  readonly observedAt: string;
  /** Set when this relist replaced a resumed watch whose history had expired (see `WatchGaps`). */
  readonly gap?: WatchGap;
}

/**
 * What a message costs in a buffer, a change window and Redis, about: its content and paths (characters) plus a
 * fixed 256 for the envelope, key and BullMQ's job hash.
 */
export function messageBytes(msg: QueuedMessage): number {
  let n = 256;
  if (msg.kind === "batch") for (const item of queuedMessages(msg)) n += messageBytes(item);
  else if (msg.kind === "change") n += msg.path.length + (msg.content?.length ?? 0);
  else if (msg.kind === "sync") for (const p of msg.paths) n += p.length + 3;
  else for (const t of msg.recorded) n += t.length + 3;
  return n;
}

/** True if `path` lies in `range` (an absent range holds every path). */
export function inSyncRange(path: string, range: SyncRange | undefined): boolean {
  if (range === undefined) return true;
  return (range.from === undefined || path >= range.from) && (range.to === undefined || path < range.to);
}

/**
 * A discovery completed: the full set of types the watcher records, sent after each successful
 * (re)discovery. Files of a type that is neither recorded nor in an unavailable group belong to a type
 * that was removed from the API (or, when `excluded` names it, that config no longer records), and the
 * committer deletes them. A forbidden (403) type still has a reflector, so it is recorded and keeps its
 * files.
 */
export interface TypesMessage {
  readonly kind: "types";
  /** Type ids (`typeId`) with a reflector, forbidden ones included. Sorted, unique. */
  readonly recorded: readonly string[];
  /** Type ids the server serves but config excludes (`watch.include`/`exclude`). Sorted, unique. */
  readonly excluded: readonly string[];
  /**
   * API groups (`""` = core) of which some version could not be discovered (aggregated API down,
   * stale): their types may be missing from `recorded`, so their files are never deleted. Sorted, unique.
   */
  readonly unavailableGroups: readonly string[];
  readonly observedAt: string;
}

export type WatchMessage = ChangeMessage | SyncMessage | TypesMessage;

/**
 * Objects of one list page as one queue job (ADR 0046): every item is a `listed` change of `type`, in
 * the order the list returned them, with distinct paths. One BullMQ job per object cost the watcher
 * an add and the committer a fetch and an acknowledgement each, about 280 µs of CPU per object.
 */
export interface ListedBatch {
  readonly kind: "batch";
  readonly type: string;
  readonly items: readonly ChangeMessage[];
}

/** What an events-queue job carries: one message, or a batch of listed objects. */
export type QueuedMessage = WatchMessage | ListedBatch;

/** The messages a job carries, in order: a batch's items, else the message itself. */
export function queuedMessages(m: QueuedMessage): readonly WatchMessage[] {
  if (m.kind !== "batch") return [m];
  const items: unknown = m.items;
  // A batch without items is passed on as it is, for the committer to skip as malformed.
  return Array.isArray(items) ? m.items : [m as unknown as WatchMessage];
}

/** How a change appears in a commit. */
export const ChangeOps = { create: "create", update: "update", delete: "delete" } as const;
export type ChangeOp = (typeof ChangeOps)[keyof typeof ChangeOps];

/** Who made a change. The field manager today; an audit-log user later. */
export interface Author {
  readonly name: string;
  readonly email: string;
  /** Where the attribution came from. */
  readonly source: AuthorSource;
  /** The Kubernetes username behind an audit or admission attribution. */
  readonly username?: string;
  /** Who impersonated `username` (`kubectl --as`), from audit only. */
  readonly impersonator?: string;
  /** The request's User-Agent. */
  readonly userAgent?: string;
  /** The field manager of the change (whatever the source). */
  readonly fieldManager?: string;
  /** Why the field manager is credited although a source is configured (no identity within the grace). */
  readonly fallbackReason?: string;
}

export const AuthorSources = {
  audit: "audit",
  admission: "admission",
  fieldManager: "field-manager",
  unknown: "unknown",
} as const;
export type AuthorSource = (typeof AuthorSources)[keyof typeof AuthorSources];

/** One object's change inside a published commit. */
export interface PublishedChange {
  readonly op: ChangeOp;
  readonly type: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly path: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Field-level summary from core, e.g. `spec.replicas 2→3`. Never plaintext secret values. */
  readonly summary: string;
  /** How many updates collapsed into this change within the window. */
  readonly updates: number;
  /** Unified diff of the redacted view (secrets as fingerprints only). May be truncated. */
  readonly diff: string;
  /** True if the object vanished while not watched (reconcile on sync). */
  readonly vanished?: boolean;
}

/** committer -> notifier: one commit that was written and whose ref was updated. */
export interface PublishedCommit {
  readonly sha: string;
  readonly cluster: string;
  readonly branch: string;
  readonly author: Author;
  readonly subject: string;
  readonly committedAt: string;
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly changes: readonly PublishedChange[];
}

/** What a sync message says about one type; `syncMessage` adds the rest. */
export interface SyncInput {
  readonly type: string;
  readonly group: string;
  readonly resource: string;
  readonly namespaced: boolean;
  /** Namespaces the recorder was limited to; empty or absent = all. Ignored for cluster-scoped types. */
  readonly namespaces?: readonly string[] | undefined;
  readonly paths: readonly string[];
  readonly resourceVersion: string;
  readonly observedAt: string;
  readonly gap?: WatchGap | undefined;
}

/** The one way a `SyncMessage` is built (by the watcher after a relist and by `shiplog snapshot`). */
export function syncMessage(s: SyncInput): SyncMessage {
  const scoped = s.namespaced && s.namespaces !== undefined && s.namespaces.length > 0;
  return {
    kind: "sync",
    type: s.type,
    group: s.group,
    resource: s.resource,
    namespaced: s.namespaced,
    ...(scoped ? { namespaces: s.namespaces } : {}),
    paths: s.paths,
    resourceVersion: s.resourceVersion,
    observedAt: s.observedAt,
    ...(s.gap !== undefined ? { gap: s.gap } : {}),
  };
}

/**
 * A type's key set as sync messages of at most about `maxBytes` of paths each (a path costs its length
 * plus 3, as in JSON), so that no queue job, and no Redis script adding one, grows with the type: 100,000
 * paths are ~4 MB as one message. The paths are sorted and split into consecutive ranges that together
 * cover every string, so each message can be applied on its own, in any window. A key set that fits is
 * one message without a range (what older versions sent). At least one path per message.
 */
export function syncMessages(s: SyncInput, maxBytes: number = Defaults.syncMessageBytes): SyncMessage[] {
  const sorted = isSorted(s.paths) ? s.paths : [...s.paths].sort();
  const chunks: (readonly string[])[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < sorted.length; i++) {
    const cost = (sorted[i] as string).length + 3;
    if (i > start && bytes + cost > maxBytes) {
      chunks.push(sorted.slice(start, i));
      start = i;
      bytes = 0;
    }
    bytes += cost;
  }
  if (chunks.length === 0) return [syncMessage({ ...s, paths: sorted })];
  chunks.push(sorted.slice(start));
  return chunks.map((paths, k) => {
    const from = k === 0 ? undefined : paths[0];
    const to = k === chunks.length - 1 ? undefined : chunks[k + 1]?.[0];
    const range: SyncRange = { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
    return { ...syncMessage({ ...s, paths }), range };
  });
}

function isSorted(xs: readonly string[]): boolean {
  for (let i = 1; i < xs.length; i++) if ((xs[i - 1] as string) > (xs[i] as string)) return false;
  return true;
}

/** What a types message says; `typesMessage` sorts, dedupes and adds the kind. */
export interface TypesInput {
  readonly recorded: readonly string[];
  readonly excluded: readonly string[];
  readonly unavailableGroups?: readonly string[] | undefined;
  readonly observedAt: string;
}

/** The API group of a type id: `deployments.apps` -> `apps`, `configmaps` -> `""` (resources have no dots). */
export function groupOfTypeId(id: string): string {
  const dot = id.indexOf(".");
  return dot < 0 ? "" : id.slice(dot + 1);
}

/** The one way a `TypesMessage` is built (by the watcher after each successful discovery). */
export function typesMessage(t: TypesInput): TypesMessage {
  const recorded = new Set(t.recorded);
  const sorted = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();
  return {
    kind: "types",
    recorded: sorted(recorded),
    // a type both recorded and excluded is recorded: it keeps its files
    excluded: sorted(t.excluded.filter((id) => !recorded.has(id))),
    unavailableGroups: sorted(t.unavailableGroups ?? []),
    observedAt: t.observedAt,
  };
}
