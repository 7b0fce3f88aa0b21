/**
 * Bench-only: audit EventLists and AdmissionReviews shaped like kube-apiserver v1.3x's, serialised
 * once with a fixed-width placeholder in every request id, so each POST can be made unique (fresh
 * auditIDs and uids, as a real apiserver sends) with one `replaceAll` on the load generator's core.
 */
import { SECRET_PLAINTEXT } from "../testkit/payloads.test.helper.js";

/** Replaced per request by `uniqueBody()` with a 12-digit request number. */
const PLACEHOLDER = "@@REQ@@@@@@@";

export { SECRET_PLAINTEXT };

/** A small seeded PRNG (mulberry32): the same mix in every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One element of a non-empty list, chosen by `rand`. */
function pick<T>(rand: () => number, list: readonly [T, ...T[]]): T {
  return list[Math.floor(rand() * list.length)] ?? list[0];
}

interface Kind {
  readonly apiGroup: string;
  readonly version: string;
  readonly resource: string;
  readonly kind: string;
}

const KINDS: readonly [Kind, ...Kind[]] = [
  { apiGroup: "", version: "v1", resource: "configmaps", kind: "ConfigMap" },
  { apiGroup: "", version: "v1", resource: "configmaps", kind: "ConfigMap" },
  { apiGroup: "apps", version: "v1", resource: "deployments", kind: "Deployment" },
  { apiGroup: "", version: "v1", resource: "services", kind: "Service" },
  { apiGroup: "", version: "v1", resource: "secrets", kind: "Secret" },
  { apiGroup: "networking.k8s.io", version: "v1", resource: "ingresses", kind: "Ingress" },
  { apiGroup: "batch", version: "v1", resource: "jobs", kind: "Job" },
];

interface User {
  readonly username: string;
  readonly groups: readonly string[];
  readonly agent: string;
}

const USERS: readonly [User, ...User[]] = [
  { username: "alice@example.com", groups: ["dev", "system:authenticated"], agent: "kubectl/v1.34.1" },
  { username: "bob@example.com", groups: ["ops", "system:authenticated"], agent: "kubectl/v1.33.4" },
  {
    username: "system:serviceaccount:argocd:argocd-application-controller",
    groups: ["system:serviceaccounts", "system:serviceaccounts:argocd", "system:authenticated"],
    agent: "argocd-application-controller/v2.14.2",
  },
  {
    username: "system:serviceaccount:flux-system:kustomize-controller",
    groups: ["system:serviceaccounts", "system:serviceaccounts:flux-system", "system:authenticated"],
    agent: "kustomize-controller/v1.5.1",
  },
];

const VERBS = ["create", "update", "patch", "patch", "patch", "delete"] as const;
const CODES: Readonly<Record<(typeof VERBS)[number], number>> = {
  create: 201,
  update: 200,
  patch: 200,
  delete: 200,
};

/** How a batch is filled. */
export interface AuditMix {
  /** Objects are drawn from `namespaces` x `namesPerNamespace` per kind. */
  readonly namespaces: number;
  readonly namesPerNamespace: number;
  /** Share of events at level RequestResponse (with request and response objects). */
  readonly requestResponseShare: number;
}

export const DEFAULT_MIX: AuditMix = { namespaces: 50, namesPerNamespace: 100, requestResponseShare: 0.1 };

function objectBody(k: Kind, ns: string, name: string, rv: string): Record<string, unknown> {
  const metadata = {
    name,
    namespace: ns,
    uid: "9b0f6c1e-3d2a-4c5b-8e7f-0a1b2c3d4e5f",
    resourceVersion: rv,
    creationTimestamp: "2026-12-01T08:00:00Z",
    labels: { app: name, "app.kubernetes.io/managed-by": "argocd" },
  };
  if (k.kind === "Secret") {
    // What a Secret write at level RequestResponse carries: the receiver must drop it.
    return {
      kind: "Secret",
      apiVersion: "v1",
      metadata,
      type: "Opaque",
      data: { password: Buffer.from(SECRET_PLAINTEXT).toString("base64") },
    };
  }
  return {
    kind: k.kind,
    apiVersion: k.apiGroup === "" ? k.version : `${k.apiGroup}/${k.version}`,
    metadata,
    data: { "app.properties": "log.level=info\nfeature.x=true\nreplicas=3\n".repeat(4) },
  };
}

/** One event of a batch; `rand` decides verb, object, user and level. */
function auditEvent(
  rand: () => number,
  mix: AuditMix,
  batch: number,
  i: number,
  at: string,
): Record<string, unknown> {
  const k = pick(rand, KINDS);
  const verb = pick(rand, VERBS);
  const user = pick(rand, USERS);
  const ns = `team-${Math.floor(rand() * mix.namespaces)}`;
  const name = `${k.resource.slice(0, -1)}-${Math.floor(rand() * mix.namesPerNamespace)}`;
  const full = rand() < mix.requestResponseShare || k.kind === "Secret";
  const rv = String(1_000_000 + batch * 1000 + i);
  const base = k.apiGroup === "" ? `/api/${k.version}` : `/apis/${k.apiGroup}/${k.version}`;
  const collection = `${base}/namespaces/${ns}/${k.resource}`;
  const body = objectBody(k, ns, name, rv);
  return {
    level: full ? "RequestResponse" : "Metadata",
    auditID: `${PLACEHOLDER}-${String(i).padStart(4, "0")}-4000-8000-000000000000`,
    stage: "ResponseComplete",
    requestURI: verb === "create" ? collection : `${collection}/${name}`,
    verb,
    user: { username: user.username, groups: user.groups },
    sourceIPs: ["10.0.12.7"],
    userAgent: `${user.agent} (linux/amd64) kubernetes/6c1bb2d`,
    objectRef: {
      resource: k.resource,
      namespace: ns,
      name,
      ...(k.apiGroup === "" ? {} : { apiGroup: k.apiGroup }),
      apiVersion: k.version,
    },
    responseStatus: { metadata: {}, code: CODES[verb] },
    ...(full && verb !== "delete" ? { requestObject: body } : {}),
    ...(full ? { responseObject: body } : {}),
    requestReceivedTimestamp: at,
    stageTimestamp: at,
    annotations: {
      "authorization.k8s.io/decision": "allow",
      "authorization.k8s.io/reason": 'RBAC: allowed by ClusterRoleBinding "edit" of ClusterRole "edit"',
    },
  };
}

/**
 * `count` serialised EventLists of 1-400 events (three in four full, as under load), with a
 * placeholder in each auditID. Times are `at`, so the store keeps every record for its TTL.
 */
export function auditBatches(count: number, at: Date, mix: AuditMix = DEFAULT_MIX): string[] {
  const rand = prng(42);
  const iso = at.toISOString().replace("Z", "123Z");
  return Array.from({ length: count }, (_, b) => {
    const size = b % 4 === 3 ? 1 + Math.floor(rand() * 399) : 400;
    const items = Array.from({ length: size }, (_, i) => auditEvent(rand, mix, b, i, iso));
    return JSON.stringify({ kind: "EventList", apiVersion: "audit.k8s.io/v1", metadata: {}, items });
  });
}

/** Events in a serialised batch (counted once when the bodies are made). */
export function eventCount(body: string): number {
  return (JSON.parse(body) as { items: unknown[] }).items.length;
}

const OPTIONS_KIND = { CREATE: "CreateOptions", UPDATE: "UpdateOptions", DELETE: "DeleteOptions" } as const;

/** `count` serialised AdmissionReviews of writes (a Secret object among them), placeholder in the uid. */
export function admissionReviews(count: number): string[] {
  const rand = prng(7);
  return Array.from({ length: count }, (_, n) => {
    const k = pick(rand, KINDS);
    const user = pick(rand, USERS);
    const ns = `team-${Math.floor(rand() * DEFAULT_MIX.namespaces)}`;
    const name = `${k.resource.slice(0, -1)}-${Math.floor(rand() * DEFAULT_MIX.namesPerNamespace)}`;
    const operation = (["CREATE", "UPDATE", "UPDATE", "DELETE"] as const)[n % 4] ?? "UPDATE";
    const gvr = { group: k.apiGroup, version: k.version, resource: k.resource };
    const gvk = { group: k.apiGroup, version: k.version, kind: k.kind };
    const obj = objectBody(k, ns, name, String(2_000_000 + n));
    return JSON.stringify({
      kind: "AdmissionReview",
      apiVersion: "admission.k8s.io/v1",
      request: {
        uid: `${PLACEHOLDER}-0000-4000-8000-000000000000`,
        kind: gvk,
        resource: gvr,
        requestKind: gvk,
        requestResource: gvr,
        name,
        namespace: ns,
        operation,
        userInfo: { username: user.username, groups: user.groups },
        object: operation === "DELETE" ? null : obj,
        oldObject: operation === "CREATE" ? null : obj,
        dryRun: false,
        options: { kind: OPTIONS_KIND[operation], apiVersion: "meta.k8s.io/v1" },
      },
    });
  });
}

/** `body` with every placeholder replaced by request number `n` (same length, so same size). */
export function uniqueBody(body: string, n: number): string {
  return body.replaceAll(PLACEHOLDER, String(n).padStart(PLACEHOLDER.length, "0"));
}
