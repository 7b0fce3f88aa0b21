/**
 * One identity record: who made one mutating request to the apiserver, and on which object. This is
 * everything the receiver keeps from an audit event or an admission review: identity, verb, object
 * reference, the new resourceVersion where the apiserver told us, and times. Request and response
 * bodies (which can hold a Secret's data) are never part of a record.
 */

/** Where a record came from. */
export const IdentitySources = { audit: "audit", admission: "admission" } as const;
export type IdentitySource = (typeof IdentitySources)[keyof typeof IdentitySources];

/**
 * The verbs a record can carry. Admission reviews only know CREATE/UPDATE/DELETE, so a patch seen
 * through admission is an `update`.
 */
export const IdentityVerbs = {
  create: "create",
  update: "update",
  patch: "patch",
  delete: "delete",
  deletecollection: "deletecollection",
} as const;
export type IdentityVerb = (typeof IdentityVerbs)[keyof typeof IdentityVerbs];

export interface IdentityRecord {
  readonly source: IdentitySource;
  /**
   * The authenticated user. For audit this is the caller (the impersonator when `impersonatedUser` is
   * set). For admission it is the identity the request acts as: the apiserver passes only the
   * impersonated identity to webhooks, so impersonation is invisible there.
   */
  readonly username: string;
  readonly groups: readonly string[];
  /** Audit only: the user the caller acted as (`kubectl --as`). The change's author is then this user. */
  readonly impersonatedUser?: string;
  readonly verb: IdentityVerb;
  /** API group; `""` for the core group. */
  readonly apiGroup: string;
  /** Plural resource name, e.g. `deployments`. */
  readonly resource: string;
  /** `""` or `"scale"`; records of other subresources (`status`, ...) are never kept. */
  readonly subresource: string;
  /** `""` for cluster-scoped objects. */
  readonly namespace: string;
  /**
   * `""` for `deletecollection` ("any object of this resource in this namespace"), and for a create
   * whose name the apiserver had not yet generated (`generateName`).
   */
  readonly name: string;
  /** Audit at level RequestResponse only: the object's resourceVersion after this write. */
  readonly resourceVersion?: string;
  readonly userAgent?: string;
  /** ISO-8601: the audit event's stageTimestamp, or when the admission review arrived. */
  readonly at: string;
  /** The audit event's auditID, or the admission request's uid. */
  readonly requestId: string;
}

/** Who a change should be credited to, and who impersonated them (for a commit trailer). */
export function actingUser(r: IdentityRecord): { readonly user: string; readonly impersonator?: string } {
  return r.impersonatedUser === undefined
    ? { user: r.username }
    : { user: r.impersonatedUser, impersonator: r.username };
}
