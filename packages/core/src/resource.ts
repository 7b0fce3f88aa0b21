/**
 * Identity of Kubernetes resource types and objects. Everything in shiplog refers to objects by these
 * keys; the repo path of an object is derived from its key (see `paths.ts`).
 */

/** A served resource type, as discovery reports it (one preferred version per group/resource). */
export interface ResourceType {
  /** API group; `""` for the core group. */
  readonly group: string;
  /** The preferred version the watcher lists and watches. */
  readonly version: string;
  /** Plural resource name, e.g. `deployments`. */
  readonly resource: string;
  /** Kind, e.g. `Deployment`. */
  readonly kind: string;
  readonly namespaced: boolean;
}

/** A single object. `namespace` is `""` for cluster-scoped objects. */
export interface ResourceKey {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
}

/**
 * The kubectl-style name of a type: `deployments.apps`, `configmaps`,
 * `clusterroles.rbac.authorization.k8s.io`. Stable across versions of the same group/resource.
 */
export function typeId(t: { readonly group: string; readonly resource: string }): string {
  return t.group === "" ? t.resource : `${t.resource}.${t.group}`;
}

/** Minimal shape of an object as it comes from the apiserver. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: KubeObjectMeta;
  [field: string]: unknown;
}

export interface KubeObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{
    controller?: boolean;
    kind?: string;
    name?: string;
    uid?: string;
    apiVersion?: string;
  }>;
  managedFields?: Array<{
    manager?: string;
    operation?: string;
    time?: string;
    subresource?: string;
    [k: string]: unknown;
  }>;
  [field: string]: unknown;
}
