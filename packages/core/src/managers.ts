/**
 * Who changed an object last, from `metadata.managedFields`. Entries for the `status` subresource are
 * ignored: status is not recorded, so its writer (usually a controller) is not the author of a recorded
 * change. The `scale` subresource counts (`kubectl scale` changes `spec.replicas`).
 */
import type { KubeObject } from "./resource.js";

export function latestManager(obj: KubeObject): { manager: string; time?: string } | undefined {
  const fields = obj.metadata?.managedFields;
  if (!Array.isArray(fields)) return undefined;
  let best: { manager: string; time?: string } | undefined;
  for (const f of fields) {
    if (typeof f !== "object" || f === null) continue;
    if (typeof f.manager !== "string" || f.manager === "") continue;
    if (f.subresource === "status") continue;
    const time = typeof f.time === "string" ? f.time : undefined;
    // RFC 3339 times from the apiserver are all UTC with second precision, so string order is time
    // order. On a tie the later entry wins (the apiserver appends).
    if (best === undefined || (time !== undefined && (best.time === undefined || time >= best.time))) {
      best = time === undefined ? { manager: f.manager } : { manager: f.manager, time };
    }
  }
  return best;
}

/** The field manager `shiplog restore --apply` writes with (server-side apply). */
export const RESTORE_FIELD_MANAGER = "shiplog-restore";
