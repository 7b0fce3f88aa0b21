/**
 * Metadata the apiserver fills in, which a restored manifest must not carry. Recorded files keep some
 * of it (the committer strips only what changes without the object's intent changing), but applied
 * again it gets in the way: an old `uid` or `resourceVersion` makes `kubectl apply` and server-side
 * apply fail once the object was deleted (a precondition or a conflict), and a `deletionTimestamp`
 * is refused on create. Without them the same manifest updates a live object and recreates a deleted one.
 */
import { isRecord } from "@shiplog/core";

/** `metadata` fields removed from every manifest that `restore` prints or applies. */
export const SERVER_POPULATED_METADATA = [
  "uid",
  "resourceVersion",
  "creationTimestamp",
  "generation",
  "managedFields",
  "selfLink",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
] as const;

/** `doc` without the fields of SERVER_POPULATED_METADATA (a copy; `doc` is left as it is). */
export function stripServerPopulated(doc: Record<string, unknown>): Record<string, unknown> {
  const meta = doc["metadata"];
  if (!isRecord(meta) || !SERVER_POPULATED_METADATA.some((f) => Object.hasOwn(meta, f))) return doc;
  const copy = { ...meta };
  for (const f of SERVER_POPULATED_METADATA) delete copy[f];
  return { ...doc, metadata: copy };
}
