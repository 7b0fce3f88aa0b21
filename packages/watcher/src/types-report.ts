/**
 * What one successful discovery says about the types shiplog records: the `TypesMessage` the committer
 * reconciles the repository against (files of a type neither recorded nor in an unavailable group are
 * deleted). Built so that a partial discovery can only keep files, never delete them.
 */
import type { ResourceType, TypesMessage } from "@shiplog/core";
import { groupOfTypeId, typeId, typesMessage } from "@shiplog/core";
import type { DiscoveryResult } from "./discovery.js";

/** The group of a discovery group version: `v1` -> `""`, `apps/v1` -> `apps`. */
function groupOfGroupVersion(gv: string): string {
  const slash = gv.indexOf("/");
  return slash < 0 ? "" : gv.slice(0, slash);
}

/**
 * The types message for `result`, or undefined when it must not be sent: a discovery that found no
 * type at all is broken, not a cluster without types. A discovered type is recorded when `wants` it
 * or when it is `forbidden` (not watched, but its files stay); the others are excluded. Groups with a failed group version, and the
 * groups of `undiscovered` type ids (CRDs Established but not yet served), are unavailable: their
 * types' files are kept whatever `recorded` says.
 */
export function typesReport(
  result: Pick<DiscoveryResult, "types" | "failedGroupVersions">,
  wants: (t: ResourceType) => boolean,
  forbidden: ReadonlySet<string>,
  observedAt: string,
  undiscovered: readonly string[] = [],
): TypesMessage | undefined {
  if (result.types.length === 0) return undefined;
  const recorded: string[] = [];
  const excluded: string[] = [];
  for (const t of result.types) {
    const id = typeId(t);
    (wants(t) || forbidden.has(id) ? recorded : excluded).push(id);
  }
  return typesMessage({
    recorded,
    excluded,
    unavailableGroups: [
      ...result.failedGroupVersions.map((f) => groupOfGroupVersion(f.groupVersion)),
      ...undiscovered.map(groupOfTypeId),
    ],
    observedAt,
  });
}
