import type { Author, ChangeMessage, ChangeOp } from "@shiplog/core";

/**
 * Who made a change. Today: the field manager the watcher read from managedFields. Later: the user
 * from the apiserver audit log, by implementing this interface (see docs/adr/0032-committer-authorship.md).
 */
export interface AttributionSource {
  /**
   * `effect.op` is what the window's change does to the recorded file (a window may fold several
   * events of one object into one change: an object created and then annotated by a controller is a
   * `create` whose last event is a modification).
   */
  authorFor(change: ChangeMessage, effect?: { readonly op: ChangeOp }): Author | Promise<Author>;
}

/** The identity shiplog itself commits as, and the author of reconcile (vanished) commits. */
export function shiplogAuthor(domain: string): Author {
  return { name: "shiplog", email: `shiplog@${domain}`, source: "unknown" };
}

/** Field managers are free text; keep an email local part readable and valid. */
function emailLocalPart(manager: string): string {
  const s = manager
    .replace(/[^A-Za-z0-9._+-]+/g, "-")
    .replace(/^[-.]+|[-.]+$/g, "")
    .slice(0, 64);
  return s === "" ? "unknown" : s;
}

/**
 * Author = the field manager of the latest change (`kubectl-edit` -> `kubectl-edit <kubectl-edit@domain>`).
 * Deletions are attributed to "unknown": Kubernetes does not record who deleted an object, and the
 * last field manager of the deleted object is not the deleter.
 */
export class FieldManagerAttribution implements AttributionSource {
  constructor(private readonly domain: string) {}

  authorFor(change: ChangeMessage): Author {
    if (change.op === "deleted" || change.manager === undefined || change.manager === "") {
      return { name: "unknown", email: `unknown@${this.domain}`, source: "unknown" };
    }
    return {
      name: change.manager,
      email: `${emailLocalPart(change.manager)}@${this.domain}`,
      source: "field-manager",
      fieldManager: change.manager,
    };
  }
}
