import type { ResourceType } from "@shiplog/core";
import { typeId } from "@shiplog/core";

/** What to watch. Empty or absent `include` lists mean "everything"; `exclude` wins over `include`. */
export interface Selection {
  /** API groups; `""` is the core group. */
  readonly groups?: readonly string[];
  /** Type ids as `typeId` spells them: `configmaps`, `deployments.apps`. */
  readonly resources?: readonly string[];
  readonly namespaces?: readonly string[];
}

export class TypeFilter {
  readonly #include: { groups?: Set<string>; resources?: Set<string>; namespaces?: Set<string> };
  readonly #exclude: { groups: Set<string>; resources: Set<string>; namespaces: Set<string> };

  constructor(include: Selection = {}, exclude: Selection = {}) {
    const nonEmpty = (xs?: readonly string[]): Set<string> | undefined =>
      xs && xs.length > 0 ? new Set(xs) : undefined;
    this.#include = {};
    const g = nonEmpty(include.groups);
    const r = nonEmpty(include.resources);
    const n = nonEmpty(include.namespaces);
    if (g) this.#include.groups = g;
    if (r) this.#include.resources = r;
    if (n) this.#include.namespaces = n;
    this.#exclude = {
      groups: new Set(exclude.groups ?? []),
      resources: new Set(exclude.resources ?? []),
      namespaces: new Set(exclude.namespaces ?? []),
    };
  }

  wantsType(t: Pick<ResourceType, "group" | "resource" | "namespaced">): boolean {
    const id = typeId(t);
    if (this.#exclude.groups.has(t.group) || this.#exclude.resources.has(id)) return false;
    if (this.#include.resources?.has(id)) return true;
    if (this.#include.groups) return this.#include.groups.has(t.group);
    // only resources listed: the groups filter does not widen it
    if (this.#include.resources) return false;
    return true;
  }

  /** For namespaced objects; cluster-scoped objects (`""`) are always wanted. */
  wantsNamespace(namespace: string): boolean {
    if (namespace === "") return true;
    if (this.#exclude.namespaces.has(namespace)) return false;
    return this.#include.namespaces ? this.#include.namespaces.has(namespace) : true;
  }

  /** The included namespaces, for the sync message; undefined when every namespace is in scope. */
  includedNamespaces(): string[] | undefined {
    return this.#include.namespaces ? [...this.#include.namespaces].sort() : undefined;
  }
}
