// What the attribution e2e test needs around shiplog's receiver: a CA and a serving certificate for
// 127.0.0.1 made with openssl, kubectl as a given kubeconfig (static-token users, a service account),
// the commits of the recorded repository with their trailers, the receiver's metrics and forged
// requests to it.
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { newTestCa, newTestLeaf } from "@shiplog/core/testing";
import { binary, run, type ControlPlane } from "../../harness/index.js";
import { writeKubeconfig } from "../../harness/kubeconfig.js";
import { httpCall, type HttpResponse } from "../../harness/net.js";
import { git } from "./git.js";

// ---------------------------------------------------------------------------------------------------
// Certificates and tokens

export interface ReceiverPki {
  dir: string;
  /** PEM CA the serving certificate chains to (the apiserver's audit kubeconfig and caBundle). */
  caFile: string;
  caPem: string;
  certFile: string;
  keyFile: string;
}

/** A fresh CA and a serving certificate for `IP:127.0.0.1` (and `localhost`) in `dir`. */
export async function receiverPki(dir: string): Promise<ReceiverPki> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = await newTestCa(dir, "receiver-ca");
  const leaf = await newTestLeaf(dir, ca, "receiver", [
    "subjectAltName=IP:127.0.0.1,DNS:localhost",
    "extendedKeyUsage=serverAuth",
    "keyUsage=critical,digitalSignature,keyEncipherment",
  ]);
  return {
    dir,
    caFile: ca.cert,
    caPem: readFileSync(ca.cert, "utf8"),
    certFile: leaf.cert,
    keyFile: leaf.key,
  };
}

/** A random bearer token, and the receiver's token file holding it (mode 0600). */
export function bearerToken(dir: string): { token: string; file: string } {
  const token = randomBytes(24).toString("hex");
  const file = join(dir, "receiver-tokens");
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, file };
}

// ---------------------------------------------------------------------------------------------------
// kubectl as someone

/** kubectl with `kubeconfig` (not the admin's); resolves with stdout, rejects unless it exits 0. */
export async function kubectlWith(
  cp: ControlPlane,
  kubeconfig: string,
  args: string[],
  input?: string,
): Promise<string> {
  const kubectl = await binary("kubectl");
  const r = await run(
    kubectl,
    [`--kubeconfig=${kubeconfig}`, `--cache-dir=${join(cp.dataDir, "kubectl-cache-users")}`, ...args],
    { ...(input !== undefined ? { input } : {}), env: { KUBECONFIG: kubeconfig } },
  );
  if (r.code !== 0)
    throw new Error(`kubectl (${kubeconfig}) ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** A kubeconfig with a bound token of service account `ns/name` (`kubectl create token`). */
export async function serviceAccountKubeconfig(cp: ControlPlane, ns: string, name: string): Promise<string> {
  const r = await cp.kubectl(["-n", ns, "create", "token", name, "--duration=1h"]);
  if (r.code !== 0) throw new Error(`kubectl create token ${ns}/${name} failed (${r.code}): ${r.stderr}`);
  return writeKubeconfig(join(cp.dataDir, `sa-${ns}-${name}.kubeconfig`), {
    server: cp.server,
    caFile: cp.caFile,
    user: { token: r.stdout.trim() },
    name: `sa-${name}`,
  });
}

/**
 * RBAC for the test users: a ClusterRole with every verb on ConfigMaps, Secrets, Deployments and
 * their scale (no controller-manager runs, so the built-in aggregated roles may be empty), bound to
 * each of `subjects`; and `impersonate` on users for each of `impersonators`.
 */
export function rbacYaml(
  name: string,
  subjects: ReadonlyArray<{ kind: "User" | "ServiceAccount"; name: string; namespace?: string }>,
  impersonators: readonly string[],
): string {
  const subject = (s: (typeof subjects)[number]): object =>
    s.kind === "User"
      ? { kind: "User", apiGroup: "rbac.authorization.k8s.io", name: s.name }
      : { kind: "ServiceAccount", name: s.name, namespace: s.namespace };
  const docs = [
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: `${name}-edit` },
      rules: [
        { apiGroups: [""], resources: ["configmaps", "secrets"], verbs: ["*"] },
        { apiGroups: ["apps"], resources: ["deployments", "deployments/scale"], verbs: ["*"] },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: `${name}-edit` },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `${name}-edit` },
      subjects: subjects.map(subject),
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: `${name}-impersonate` },
      rules: [{ apiGroups: [""], resources: ["users"], verbs: ["impersonate"] }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: `${name}-impersonate` },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `${name}-impersonate` },
      subjects: impersonators.map((u) => subject({ kind: "User", name: u })),
    },
  ];
  return docs.map((d) => JSON.stringify(d)).join("\n---\n");
}

/** A Metadata-level audit policy, with ConfigMaps and Secrets at RequestResponse. */
export const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    nonResourceURLs: ["/healthz*", "/readyz*", "/livez*", "/version", "/openapi*", "/api", "/apis", "/api/*", "/apis/*"]
  - level: None
    verbs: ["get", "list", "watch"]
  - level: RequestResponse
    resources:
      - group: ""
        resources: ["configmaps", "secrets"]
  - level: Metadata
`;

/** A ValidatingWebhookConfiguration sending the test's types to `url` (fails open, 5 s). */
export function webhookConfigYaml(name: string, url: string, caPem: string, namespace: string): string {
  return JSON.stringify({
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata: { name },
    webhooks: [
      {
        name: "attribution.shiplog.dev",
        clientConfig: { url, caBundle: Buffer.from(caPem, "utf8").toString("base64") },
        rules: [
          {
            apiGroups: ["", "apps"],
            apiVersions: ["v1"],
            operations: ["CREATE", "UPDATE", "DELETE"],
            resources: ["configmaps", "deployments", "deployments/scale", "secrets"],
            scope: "Namespaced",
          },
        ],
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
        failurePolicy: "Ignore",
        sideEffects: "None",
        timeoutSeconds: 5,
        admissionReviewVersions: ["v1"],
      },
    ],
  });
}

// ---------------------------------------------------------------------------------------------------
// The recorded repository

export interface RecordedCommit {
  sha: string;
  authorName: string;
  authorEmail: string;
  subject: string;
  body: string;
}

/** The commits on `rev` (touching `path`, if given), newest first. */
export async function recordedCommits(repo: string, path?: string, rev = "main"): Promise<RecordedCommit[]> {
  const r = await git(repo, [
    "log",
    "--format=%H%x00%an%x00%ae%x00%s%x00%B%x1e",
    rev,
    ...(path !== undefined ? ["--", path] : []),
  ]);
  if (r.code !== 0) return [];
  return r.stdout
    .split("\x1e")
    .map((s) => s.replace(/^\n/, ""))
    .filter((s) => s !== "")
    .map((s) => {
      const [sha = "", authorName = "", authorEmail = "", subject = "", body = ""] = s.split("\0");
      return { sha, authorName, authorEmail, subject, body };
    });
}

/** Values of trailer `key` in a commit message (`Key: value` lines of its last paragraph). */
export function trailerValues(body: string, key: string): string[] {
  const paragraphs = body.trimEnd().split(/\n\s*\n/);
  const last = paragraphs.at(-1) ?? "";
  const prefix = `${key}: `;
  return last
    .split("\n")
    .filter((l) => l.startsWith(prefix))
    .map((l) => l.slice(prefix.length).trim());
}

/** `git log` of the repository (authors and full messages), for assertion messages. */
export async function gitLogText(repo: string, max = 30): Promise<string> {
  const r = await git(repo, ["log", `-${max}`, "--stat", "--format=--- %h %an <%ae>%n%B", "main"]);
  return r.code === 0 ? r.stdout : `(git log failed: ${r.stderr.trim()})`;
}

// ---------------------------------------------------------------------------------------------------
// The receiver and its metrics

/** Sum of the samples of `name` whose labels include `labels`; 0 when none (or no answer). */
export async function metricSum(
  ops: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const res = await httpCall(`${ops}/metrics`, { timeoutMs: 3000 }).catch(() => undefined);
  if (res?.status !== 200) return 0;
  let sum = 0;
  const re = new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`, "gm");
  for (const m of res.body.matchAll(re)) {
    const have = new Map<string, string>();
    for (const l of (m[1] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) have.set(l[1] ?? "", l[2] ?? "");
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) sum += Number(m[2]);
  }
  return sum;
}

/** A POST to the receiver, trusting its CA; `token` and `body` as given (`body` as is, not encoded). */
export function postReceiver(
  url: string,
  caPem: string,
  opts: { token?: string; body?: string } = {},
): Promise<HttpResponse> {
  return httpCall(url, {
    method: "POST",
    ca: caPem,
    body: opts.body ?? "{}",
    timeoutMs: 5000,
    ...(opts.token !== undefined ? { token: opts.token } : {}),
  });
}

/** A well-formed audit EventList claiming that `user` updated ConfigMap `ns/name` just now. */
export function forgedEventList(user: string, ns: string, name: string): string {
  const now = new Date().toISOString();
  return JSON.stringify({
    kind: "EventList",
    apiVersion: "audit.k8s.io/v1",
    metadata: {},
    items: [
      {
        level: "Metadata",
        auditID: `forged-${randomBytes(8).toString("hex")}`,
        stage: "ResponseComplete",
        requestURI: `/api/v1/namespaces/${ns}/configmaps/${name}`,
        verb: "patch",
        user: { username: user, groups: ["system:authenticated"] },
        sourceIPs: ["127.0.0.1"],
        userAgent: "forged/1.0",
        objectRef: { resource: "configmaps", namespace: ns, name, apiVersion: "v1" },
        responseStatus: { metadata: {}, code: 200 },
        requestReceivedTimestamp: now,
        stageTimestamp: now,
      },
    ],
  });
}
