/**
 * Test-only: audit events and admission reviews shaped the way kube-apiserver v1.3x sends them
 * (fields and nesting copied from `audit.k8s.io/v1` Event and `admission.k8s.io/v1` AdmissionReview).
 * Not part of the package API.
 */

/** A Secret value that must never leave the receiver: tests scan Redis and answers for it. */
export const SECRET_PLAINTEXT = "hunter2-do-not-store-7f3a9c";

export interface AuditEventInput {
  verb?: string;
  stage?: string;
  code?: number;
  username?: string;
  groups?: string[];
  impersonatedUser?: string;
  apiGroup?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** `responseObject.metadata.resourceVersion` (level RequestResponse). */
  newResourceVersion?: string;
  at?: string;
  auditID?: string;
  /** Include request/response bodies of a Secret (level RequestResponse). */
  secretBodies?: boolean;
}

let seq = 0;

export function auditEvent(i: AuditEventInput = {}): Record<string, unknown> {
  seq++;
  const at = i.at ?? "2026-12-02T00:00:00.123456Z";
  const objectRef: Record<string, unknown> = {
    resource: i.resource ?? "configmaps",
    namespace: i.namespace ?? "default",
    apiVersion: "v1",
  };
  if (i.apiGroup !== undefined) objectRef["apiGroup"] = i.apiGroup;
  if (i.name !== "") objectRef["name"] = i.name ?? "app-config";
  if (i.subresource !== undefined) objectRef["subresource"] = i.subresource;
  const secret = {
    kind: "Secret",
    apiVersion: "v1",
    metadata: { name: "db", namespace: "default", resourceVersion: i.newResourceVersion ?? "1" },
    stringData: { password: SECRET_PLAINTEXT },
    data: { password: Buffer.from(SECRET_PLAINTEXT).toString("base64") },
  };
  return {
    level: i.secretBodies === true || i.newResourceVersion !== undefined ? "RequestResponse" : "Metadata",
    auditID: i.auditID ?? `00000000-0000-4000-8000-${String(seq).padStart(12, "0")}`,
    stage: i.stage ?? "ResponseComplete",
    requestURI: "/api/v1/namespaces/default/configmaps",
    verb: i.verb ?? "create",
    user: {
      username: i.username ?? "alice",
      uid: "u-1",
      groups: i.groups ?? ["dev", "system:authenticated"],
    },
    ...(i.impersonatedUser === undefined
      ? {}
      : { impersonatedUser: { username: i.impersonatedUser, groups: ["system:authenticated"] } }),
    sourceIPs: ["127.0.0.1"],
    userAgent: "kubectl/v1.34.0 (linux/amd64) kubernetes/abcdef",
    objectRef,
    responseStatus: { metadata: {}, code: i.code ?? 201 },
    ...(i.secretBodies === true ? { requestObject: secret } : {}),
    ...(i.secretBodies === true || i.newResourceVersion !== undefined ? { responseObject: secret } : {}),
    requestReceivedTimestamp: "2026-12-02T00:00:00.100000Z",
    stageTimestamp: at,
    annotations: { "authorization.k8s.io/decision": "allow" },
  };
}

export function eventList(items: unknown[]): Record<string, unknown> {
  return { kind: "EventList", apiVersion: "audit.k8s.io/v1", metadata: {}, items };
}

export interface ReviewInput {
  uid?: string;
  operation?: string;
  username?: string;
  groups?: string[];
  group?: string;
  resource?: string;
  subResource?: string;
  namespace?: string;
  name?: string;
  dryRun?: boolean;
}

export function admissionReview(i: ReviewInput = {}): Record<string, unknown> {
  const secret = {
    kind: "Secret",
    apiVersion: "v1",
    metadata: { name: "db" },
    stringData: { p: SECRET_PLAINTEXT },
  };
  return {
    kind: "AdmissionReview",
    apiVersion: "admission.k8s.io/v1",
    request: {
      uid: i.uid ?? "705ab4f5-6393-11e8-b7cc-42010a800002",
      kind: { group: "", version: "v1", kind: "Secret" },
      resource: { group: i.group ?? "", version: "v1", resource: i.resource ?? "secrets" },
      ...(i.subResource === undefined ? {} : { subResource: i.subResource }),
      requestKind: { group: "", version: "v1", kind: "Secret" },
      requestResource: { group: i.group ?? "", version: "v1", resource: i.resource ?? "secrets" },
      ...(i.name === "" ? {} : { name: i.name ?? "db" }),
      namespace: i.namespace ?? "default",
      operation: i.operation ?? "CREATE",
      userInfo: { username: i.username ?? "bob", uid: "u-2", groups: i.groups ?? ["ops"] },
      object: secret,
      oldObject: null,
      dryRun: i.dryRun ?? false,
      options: { kind: "CreateOptions", apiVersion: "meta.k8s.io/v1" },
    },
  };
}
