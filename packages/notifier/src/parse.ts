/**
 * Check that a queue message is a PublishedCommit before anything renders it. A malformed message is
 * skipped with a reason (never a crash or a stalled queue); a malformed change inside an otherwise
 * good commit is dropped and counted.
 */
import type { PublishedChange, PublishedCommit } from "@shiplog/core";
import { ChangeOps, isRecord } from "@shiplog/core";

export type ParseResult =
  | { readonly ok: true; readonly commit: PublishedCommit; readonly droppedChanges: number }
  | { readonly ok: false; readonly reason: string };

const OPS: readonly string[] = Object.values(ChangeOps);

function str(v: unknown): v is string {
  return typeof v === "string";
}

function validChange(v: unknown): v is PublishedChange {
  if (!isRecord(v)) return false;
  const base =
    str(v["op"]) &&
    OPS.includes(v["op"]) &&
    str(v["type"]) &&
    str(v["kind"]) &&
    str(v["namespace"]) &&
    str(v["name"]) &&
    str(v["path"]) &&
    str(v["summary"]) &&
    str(v["diff"]) &&
    typeof v["updates"] === "number";
  if (!base) return false;
  const labels = v["labels"];
  if (labels !== undefined && !(isRecord(labels) && Object.values(labels).every(str))) return false;
  return v["vanished"] === undefined || typeof v["vanished"] === "boolean";
}

export function parsePublishedCommit(data: unknown): ParseResult {
  if (!isRecord(data)) return { ok: false, reason: "not-an-object" };
  for (const field of ["sha", "cluster", "branch", "subject", "committedAt"] as const) {
    if (!str(data[field])) return { ok: false, reason: `bad-${field}` };
  }
  if (!/^[0-9a-f]{7,64}$/.test(data["sha"] as string)) return { ok: false, reason: "bad-sha" };
  const author = data["author"];
  if (!isRecord(author) || !str(author["name"]) || !str(author["email"]))
    return { ok: false, reason: "bad-author" };
  const changes = data["changes"];
  if (!Array.isArray(changes)) return { ok: false, reason: "bad-changes" };
  const good = changes.filter(validChange);
  if (good.length === 0) return { ok: false, reason: changes.length === 0 ? "no-changes" : "bad-changes" };
  const commit = (good.length === changes.length
    ? data
    : { ...data, changes: good }) as unknown as PublishedCommit;
  return { ok: true, commit, droppedChanges: changes.length - good.length };
}
