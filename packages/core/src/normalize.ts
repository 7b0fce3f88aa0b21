/**
 * Normalisation: what is left out of a recorded object and which objects are not recorded at all.
 * The default rules and the reason for each are in docs/adr/0011-normalisation-and-yaml.md.
 */
import type { NormalizeConfig, TypeFilter } from "./config.js";
import { collect, parsePointer, setAt, updateAt, type Pointer } from "./pointer.js";
import type { KubeObject, KubeObjectMeta, ResourceType } from "./resource.js";
import { typeId } from "./resource.js";

export const LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration";

/** `metadata` fields removed from every object: they change without the object's intent changing. */
export const STRIPPED_METADATA = ["managedFields", "resourceVersion", "generation", "selfLink"] as const;

export const SkipReasons = {
  ownedByController: "owned-by-controller",
  excludedType: "excluded-type",
  excludedNamespace: "excluded-namespace",
  secretTypeOmitted: "secret-type-omitted",
  invalidObject: "invalid-object",
} as const;
export type SkipReason = (typeof SkipReasons)[keyof typeof SkipReasons];

/** True when a filter is configured to leave this type out (exclude wins over include). */
export function isTypeExcluded(
  type: Pick<ResourceType, "group" | "resource">,
  filters: { include: TypeFilter; exclude: TypeFilter },
): boolean {
  const id = typeId(type);
  const { include, exclude } = filters;
  if (exclude.groups.includes(type.group) || exclude.resources.includes(id)) return true;
  const inc = include.groups.length > 0 || include.resources.length > 0;
  return inc && !include.groups.includes(type.group) && !include.resources.includes(id);
}

/** True when a filter leaves this namespace out. Cluster-scoped objects (`""`) are never excluded. */
export function isNamespaceExcluded(
  namespace: string,
  filters: { include: TypeFilter; exclude: TypeFilter },
): boolean {
  if (namespace === "") return false;
  if (filters.exclude.namespaces.includes(namespace)) return true;
  return filters.include.namespaces.length > 0 && !filters.include.namespaces.includes(namespace);
}

/** True when an ownerReference has `controller: true`. */
export function isControllerOwned(obj: KubeObject): boolean {
  const refs = obj.metadata?.ownerReferences;
  return (
    Array.isArray(refs) && refs.some((r) => typeof r === "object" && r !== null && r.controller === true)
  );
}

interface CompiledRule {
  strip: Pointer[];
  keep: Pointer[];
}

export type NormalizeOutcome = { skipped: true; reason: SkipReason } | { skipped: false; obj: KubeObject };

export interface Normalizer {
  normalize(type: ResourceType, obj: KubeObject): NormalizeOutcome;
}

/** Removes an annotation; drops `annotations` when it becomes empty. Mutates `meta` (a copy). */
export function dropAnnotation(meta: KubeObjectMeta, name: string): void {
  const ann = meta.annotations;
  if (ann === undefined || typeof ann !== "object" || !Object.hasOwn(ann, name)) return;
  const copy = { ...ann };
  delete copy[name];
  if (Object.keys(copy).length === 0) delete meta.annotations;
  else meta.annotations = copy;
}

/** The apiserver omits empty label/annotation maps; so do we after strip rules emptied one. */
function dropEmptyMaps(obj: KubeObject): KubeObject {
  const meta = obj.metadata;
  if (meta === undefined) return obj;
  let copy: KubeObjectMeta | undefined;
  for (const f of ["labels", "annotations"] as const) {
    const m = meta[f];
    if (typeof m === "object" && m !== null && Object.keys(m).length === 0) {
      copy ??= { ...meta };
      delete copy[f];
    }
  }
  return copy === undefined ? obj : { ...obj, metadata: copy };
}

export function createNormalizer(cfg: NormalizeConfig): Normalizer {
  const keepStatus = new Set(cfg.keepStatus);
  const byType = new Map<string, CompiledRule>();
  const all: CompiledRule = { strip: [], keep: [] };
  for (const r of cfg.rules) {
    const target = r.type === "*" ? all : (byType.get(r.type) ?? { strip: [], keep: [] });
    target.strip.push(...r.strip.map(parsePointer));
    target.keep.push(...r.keep.map(parsePointer));
    if (r.type !== "*") byType.set(r.type, target);
  }

  return {
    normalize(type, obj) {
      if (cfg.skipControllerOwned && isControllerOwned(obj)) {
        return { skipped: true, reason: SkipReasons.ownedByController };
      }
      const id = typeId(type);
      const out: KubeObject = { ...obj };
      out.apiVersion = type.group === "" ? type.version : `${type.group}/${type.version}`;
      out.kind = type.kind;
      if (obj.metadata !== undefined) {
        const meta: KubeObjectMeta = { ...obj.metadata };
        for (const f of STRIPPED_METADATA) delete meta[f];
        dropAnnotation(meta, LAST_APPLIED_ANNOTATION);
        out.metadata = meta;
      }
      if (!keepStatus.has(id)) delete out["status"];

      const rule = byType.get(id);
      let result: unknown = out;
      for (const r of rule === undefined ? [all] : [all, rule]) {
        for (const p of r.strip) result = updateAt(result, p, () => undefined);
      }
      for (const r of rule === undefined ? [all] : [all, rule]) {
        for (const p of r.keep) {
          for (const [path, value] of collect(obj, p)) {
            // Never resurrect the last-applied annotation: it can hold plaintext Secret data.
            if (path.length === 3 && path[0] === "metadata" && path[2] === LAST_APPLIED_ANNOTATION) continue;
            result = setAt(result, path, value);
          }
        }
      }
      return { skipped: false, obj: dropEmptyMaps(result as KubeObject) };
    },
  };
}
