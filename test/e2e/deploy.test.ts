// deploy/: the Helm chart and the kustomize overlays, rendered by the real helm and kubectl, applied to
// the real apiserver (server-side dry run), checked against the restricted Pod Security profile
// (enforced by the apiserver's PodSecurity admission on Pods) and, after a real apply of the RBAC
// objects, against the apiserver's own authorizer with `kubectl auth can-i --as`. Also: every secret mode
// that fingerprints gets a stable key Secret, mounted where the config points (else each pod start
// would generate a new key and re-commit every Secret), and the bundled Redis never evicts.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { generateKeyPairSync, X509Certificate } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
  MIN_HMAC_KEY_BYTES,
  parseConfig,
  SECRET_MODE_NAMES,
  SecretModeRegistry,
  type SecretMode,
} from "@shiplog/core";
import { parse, parseAllDocuments, stringify } from "yaml";
import {
  binary,
  freePort,
  run,
  sharedControlPlane,
  uniquePrefix,
  type ControlPlane,
} from "../harness/index.js";

// test/dist/e2e/deploy.test.js -> the repository root.
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CHART = join(ROOT, "deploy", "helm", "shiplog");
const KUSTOMIZE = join(ROOT, "deploy", "kustomize");
const ATTRIBUTION_EXAMPLES = join(ROOT, "deploy", "attribution");
const HELM_VARIANTS = readdirSync(join(CHART, "ci"))
  .filter((f) => f.endsWith("-values.yaml"))
  .map((f) => f.replace(/-values\.yaml$/, ""))
  .sort();
const OVERLAYS = readdirSync(join(KUSTOMIZE, "overlays")).sort();
const WRITE_VERBS = ["create", "update", "patch", "delete"] as const;
const FIELD_MANAGER = "shiplog-deploy-test";
/** Where the chart and every kustomize overlay mount the fingerprint (HMAC) key. */
const KEY_FILE = "/etc/shiplog/secrets/hmac/hmac-key";
const RECIPIENT = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
  [k: string]: unknown;
};

/** Every non-empty YAML document of a multi-document stream. */
function manifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`bad YAML in rendered output: ${d.errors[0]?.message}`);
      return d.toJS() as Manifest | null;
    })
    .filter((m): m is Manifest => m !== null);
}

/** The shiplog config.yaml a rendering carries, checked by the CLI's own schema (core parseConfig). */
function shiplogConfig(ms: Manifest[]): ReturnType<typeof parseConfig> {
  const cms = ms.filter((m) => m.kind === "ConfigMap" && m.metadata.name.includes("config"));
  assert.equal(cms.length, 1, "exactly one shiplog config ConfigMap");
  const text = (cms[0]?.["data"] as Record<string, string> | undefined)?.["config.yaml"];
  assert.ok(text, "the ConfigMap has config.yaml");
  return parseConfig(parse(text));
}

type PodSpec = {
  volumes?: { name: string; secret?: { secretName?: string; items?: { key: string; path: string }[] } }[];
  containers: {
    name: string;
    args?: string[];
    ports?: { name?: string; containerPort: number }[];
    volumeMounts?: { name: string; mountPath: string }[];
    resources?: { limits?: { memory?: string } };
  }[];
};

function podSpec(m: Manifest): PodSpec {
  return (m.spec?.["template"] as { spec: PodSpec }).spec;
}

/** The Deployments that canonicalize objects (all-in-one, or watcher and committer): all but the notifier. */
function recorders(ms: Manifest[]): Manifest[] {
  return ms.filter(
    (m) => m.kind === "Deployment" && m.metadata.labels?.["app.kubernetes.io/component"] !== "notifier",
  );
}

/** The Secret whose volume holds `file` in a Deployment's shiplog container, if any. */
function secretBehind(m: Manifest, file: string): string | undefined {
  const spec = podSpec(m);
  const mounts = spec.containers.find((c) => c.name === "shiplog")?.volumeMounts ?? [];
  const mount = mounts.find((vm) => file.startsWith(`${vm.mountPath}/`));
  return spec.volumes?.find((v) => v.name === mount?.name)?.secret?.secretName;
}

/** The value after `flag` in an argument list. */
function argAfter(args: readonly string[] | undefined, flag: string): string | undefined {
  const i = args?.indexOf(flag) ?? -1;
  return i < 0 ? undefined : args?.[i + 1];
}

function toYaml(ms: Manifest[]): string {
  // JSON documents: the yaml package writes YAML 1.2, where `yes` needs no quotes, but kubectl reads
  // YAML 1.1 and would turn an unquoted `yes` into a boolean.
  return ms.map((m) => JSON.stringify(m)).join("\n---\n");
}

/** Runs `fn` over `items` with at most `limit` at a time (the machine has 2 cores). */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, () => worker()));
  return out;
}

const SERVICEMONITOR_CRD = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "servicemonitors.monitoring.coreos.com" },
  spec: {
    group: "monitoring.coreos.com",
    names: {
      kind: "ServiceMonitor",
      listKind: "ServiceMonitorList",
      plural: "servicemonitors",
      singular: "servicemonitor",
    },
    scope: "Namespaced",
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        // The fields our manifests use, so a typo there is rejected by strict field validation.
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: {
                type: "object",
                required: ["selector", "endpoints"],
                properties: {
                  selector: {
                    type: "object",
                    properties: {
                      matchLabels: { type: "object", additionalProperties: { type: "string" } },
                    },
                  },
                  endpoints: {
                    type: "array",
                    items: {
                      type: "object",
                      properties: {
                        port: { type: "string" },
                        path: { type: "string" },
                        interval: { type: "string" },
                        scrapeTimeout: { type: "string" },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    ],
  },
};

/** A namespaced cert-manager.io/v1 CRD with the spec fields our manifests use (strict field validation). */
function certManagerCrd(kind: string, plural: string, spec: Record<string, unknown>) {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.cert-manager.io` },
    spec: {
      group: "cert-manager.io",
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
      scope: "Namespaced",
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: { type: "object", properties: { spec: { type: "object", properties: spec } } },
          },
        },
      ],
    },
  };
}

const str = { type: "string" };
const strList = { type: "array", items: str };
/** Stand-ins for cert-manager's CRDs, so the certManager TLS mode and the kustomize components apply. */
const CERT_MANAGER_CRDS = [
  certManagerCrd("Issuer", "issuers", {
    selfSigned: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
    ca: { type: "object", properties: { secretName: str } },
  }),
  certManagerCrd("Certificate", "certificates", {
    secretName: str,
    commonName: str,
    dnsNames: strList,
    privateKey: {
      type: "object",
      properties: { algorithm: str, size: { type: "integer" }, rotationPolicy: str },
    },
    issuerRef: { type: "object", properties: { name: str, kind: str, group: str } },
  }),
];
const STUB_CRDS = [SERVICEMONITOR_CRD, ...CERT_MANAGER_CRDS];

/**
 * What docs/deploy.md tells kustomize users to add when they move shiplog to another namespace: the
 * certificate's names and the webhook's cert-manager.io/inject-ca-from name the namespace as text.
 */
const ATTRIBUTION_REPLACEMENTS = [
  {
    source: { kind: "Service", name: "shiplog-attribution", fieldPath: "metadata.namespace" },
    targets: [
      {
        select: { kind: "ValidatingWebhookConfiguration", name: "shiplog-attribution" },
        fieldPaths: ["metadata.annotations.[cert-manager.io/inject-ca-from]"],
        options: { delimiter: "/", index: 0 },
      },
      {
        select: { kind: "Certificate", name: "shiplog-attribution" },
        fieldPaths: ["spec.commonName", "spec.dnsNames.1", "spec.dnsNames.2", "spec.dnsNames.3"],
        options: { delimiter: ".", index: 1 },
      },
    ],
  },
];

/** Where the chart and the kustomize components mount the receiver's files. */
const ATTRIBUTION_TLS_DIR = "/etc/shiplog/attribution/tls";
const ATTRIBUTION_TOKEN_DIR = "/etc/shiplog/attribution/token";

/** The Secret and key behind `file` in a Deployment's shiplog container (through `items`, if any). */
function secretFileBehind(m: Manifest, file: string): { secret: string; key: string } | undefined {
  const spec = podSpec(m);
  const mounts = spec.containers.find((c) => c.name === "shiplog")?.volumeMounts ?? [];
  const mount = mounts.find((vm) => file.startsWith(`${vm.mountPath}/`));
  if (mount === undefined) return undefined;
  const volume = spec.volumes?.find((v) => v.name === mount.name)?.secret;
  if (volume?.secretName === undefined) return undefined;
  const path = file.slice(mount.mountPath.length + 1);
  const key = volume.items === undefined ? path : volume.items.find((i) => i.path === path)?.key;
  return key === undefined ? undefined : { secret: volume.secretName, key };
}

function podLabels(m: Manifest): Record<string, string> {
  return (m.spec?.["template"] as { metadata?: { labels?: Record<string, string> } }).metadata?.labels ?? {};
}

function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

type Webhook = {
  name: string;
  admissionReviewVersions: string[];
  sideEffects: string;
  failurePolicy: string;
  timeoutSeconds: number;
  clientConfig: {
    service: { name: string; namespace: string; path: string; port: number };
    caBundle?: string;
  };
  rules: {
    operations: string[];
    apiGroups: string[];
    apiVersions: string[];
    resources: string[];
    scope: string;
  }[];
  matchConditions: { name: string; expression: string }[];
};

/**
 * The attribution wiring of one rendering: config.yaml has the section (checked by core's parser), the
 * Service selects exactly the pod that commits and targets its `attribution` port (the one the config
 * listens on), the TLS and token files the config names are mounted from Secrets, and the webhook (if
 * any) calls that Service on /admission. Returns the pieces for further checks.
 */
function checkAttribution(
  what: string,
  ms: Manifest[],
  ns: string,
  want: { sources: string[]; component: string; webhook: boolean },
) {
  const config = shiplogConfig(ms);
  const att = config.attribution;
  assert.deepEqual(att.sources, want.sources, `${what}: attribution.sources`);
  assert.equal(att.receiver.tlsCertFile, `${ATTRIBUTION_TLS_DIR}/tls.crt`, `${what}: tlsCertFile`);
  assert.equal(att.receiver.tlsKeyFile, `${ATTRIBUTION_TLS_DIR}/tls.key`, `${what}: tlsKeyFile`);
  const services = ms.filter((m) => m.kind === "Service" && m.metadata.name.endsWith("-attribution"));
  assert.equal(services.length, 1, `${what}: one attribution Service`);
  const service = services[0] as Manifest;
  const spec = service.spec as {
    selector: Record<string, string>;
    ports: { port: number; targetPort: string | number }[];
  };
  const deployments = ms.filter((m) => m.kind === "Deployment");
  const selected = deployments.filter((d) => selects(spec.selector, podLabels(d)));
  assert.deepEqual(
    selected.map((d) => d.metadata.labels?.["app.kubernetes.io/component"]),
    [want.component],
    `${what}: the Service selects the pod that commits, and only it`,
  );
  const deploy = selected[0] as Manifest;
  assert.equal(spec.ports.length, 1, `${what}: one Service port`);
  assert.equal(spec.ports[0]?.port, 443, `${what}: Service port 443`);
  const listenPort = Number(att.receiver.listen.split(":").at(-1));
  const containerPorts = podSpec(deploy).containers.find((c) => c.name === "shiplog")?.ports ?? [];
  const target = containerPorts.find((p) => p.name === spec.ports[0]?.targetPort);
  assert.equal(target?.containerPort, listenPort, `${what}: targetPort is the port the receiver listens on`);
  for (const d of deployments.filter((x) => x !== deploy))
    assert.ok(
      !(podSpec(d).containers[0]?.ports ?? []).some((p) => p.name === "attribution"),
      `${what}: ${d.metadata.name} has no attribution port`,
    );
  const cert = secretFileBehind(deploy, att.receiver.tlsCertFile ?? "");
  const key = secretFileBehind(deploy, att.receiver.tlsKeyFile ?? "");
  assert.equal(cert?.key, "tls.crt", `${what}: the certificate file is mounted`);
  assert.equal(key?.key, "tls.key", `${what}: the key file is mounted`);
  assert.equal(cert?.secret, key?.secret, `${what}: from one TLS Secret`);
  const tlsSecret = cert?.secret ?? "";
  let token: { secret: string; key: string } | undefined;
  if (want.sources.includes("audit")) {
    assert.ok(att.receiver.tokenFile?.startsWith(`${ATTRIBUTION_TOKEN_DIR}/`), `${what}: tokenFile`);
    token = secretFileBehind(deploy, att.receiver.tokenFile ?? "");
    assert.ok(token, `${what}: the token file is mounted from a Secret`);
  }
  const vwcs = ms.filter((m) => m.kind === "ValidatingWebhookConfiguration");
  assert.equal(vwcs.length, want.webhook ? 1 : 0, `${what}: ValidatingWebhookConfiguration`);
  const vwc = vwcs[0];
  const webhook = (vwc?.["webhooks"] as Webhook[] | undefined)?.[0];
  if (want.webhook) {
    assert.ok(webhook, `${what}: a webhook`);
    assert.deepEqual(
      webhook.clientConfig.service,
      { name: service.metadata.name, namespace: ns, path: "/admission", port: 443 },
      `${what}: the webhook calls the Service`,
    );
    assert.equal(service.metadata.namespace, ns, `${what}: the Service is in ${ns}`);
    assert.equal(webhook.failurePolicy, "Ignore");
    assert.equal(webhook.sideEffects, "None");
    assert.deepEqual(webhook.admissionReviewVersions, ["v1"]);
    assert.ok(webhook.timeoutSeconds <= 5, `${what}: a short timeout`);
    assert.deepEqual(webhook.rules, [
      {
        operations: ["CREATE", "UPDATE", "DELETE"],
        apiGroups: ["*"],
        apiVersions: ["*"],
        resources: ["*", "*/scale"],
        scope: "*",
      },
    ]);
    const conditions = webhook.matchConditions.map((c) => c.expression).join("\n");
    assert.match(conditions, /"events"/, `${what}: events are skipped`);
    assert.match(conditions, /"coordination\.k8s\.io"/, `${what}: leases are skipped`);
  }
  return { config, service, deploy, tlsSecret, token, vwc, webhook };
}

/** A first-match evaluation of an audit.k8s.io/v1 Policy for a resource request (as the apiserver does). */
type AuditRule = {
  level: string;
  verbs?: string[];
  users?: string[];
  userGroups?: string[];
  namespaces?: string[];
  nonResourceURLs?: string[];
  resources?: { group?: string; resources?: string[]; resourceNames?: string[] }[];
  omitStages?: string[];
};
function auditLevel(rules: AuditRule[], verb: string, group: string, resource: string): string {
  for (const r of rules) {
    if (r.users || r.userGroups || r.namespaces) continue; // the example policy uses none of these
    if (r.nonResourceURLs) continue; // only matches non-resource requests
    if (r.verbs && !r.verbs.includes(verb) && !r.verbs.includes("*")) continue;
    if (r.resources) {
      const base = resource.split("/")[0] ?? resource;
      const hit = r.resources.some(
        (g) =>
          (g.group ?? "") === group &&
          (!g.resources ||
            g.resources.length === 0 ||
            g.resources.some(
              (x) => x === "*" || x === resource || x === `${base}/*` || x === `*/${resource.split("/")[1]}`,
            )),
      );
      if (!hit) continue;
    }
    return r.level;
  }
  return "None";
}

describe("deploy: Helm chart, kustomize overlays and RBAC against a real apiserver", () => {
  let cp: ControlPlane;
  let helm: string;
  let apiVersions: string[] = [];
  let kubeVersion = "";
  const createdCrds: string[] = [];
  const namespaces: string[] = [];
  const clusterObjects: string[] = []; // "kind/name" created for real, deleted in after()
  const work = mkdtempSync(join(tmpdir(), "shiplog-deploy-test-"));

  async function kubectl(args: string[], input?: string, asUser?: string) {
    return cp.kubectl(args, { ...(input !== undefined ? { input } : {}), ...(asUser ? { asUser } : {}) });
  }
  async function kubectlOk(args: string[], input?: string): Promise<string> {
    const r = await kubectl(args, input);
    assert.equal(r.code, 0, `kubectl ${args.join(" ")} failed:\n${r.stderr}`);
    return r.stdout;
  }

  /** A namespace enforcing (and warning about) the restricted Pod Security profile. */
  async function restrictedNamespace(label: string): Promise<string> {
    const ns = uniquePrefix(`deploy-${label}`);
    namespaces.push(ns);
    await kubectlOk(["create", "namespace", ns]);
    await kubectlOk([
      "label",
      "namespace",
      ns,
      "pod-security.kubernetes.io/enforce=restricted",
      "pod-security.kubernetes.io/enforce-version=latest",
      "pod-security.kubernetes.io/warn=restricted",
    ]);
    return ns;
  }

  async function helmRun(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
    return run(helm, args, {
      env: { HELM_CACHE_HOME: join(work, "helm-cache"), HELM_CONFIG_HOME: join(work, "helm-config") },
    });
  }

  async function helmTemplate(
    variant: string,
    release: string,
    ns: string,
    extra: readonly string[] = [],
  ): Promise<Manifest[]> {
    const args = [
      "template",
      release,
      CHART,
      "--namespace",
      ns,
      "--kube-version",
      kubeVersion,
      "-f",
      join(CHART, "ci", `${variant}-values.yaml`),
      ...extra,
    ];
    // What `helm install` sees from discovery: the groups this apiserver serves (CRDs included).
    for (const v of apiVersions) args.push("--api-versions", v);
    const r = await helmRun(args);
    assert.equal(r.code, 0, `helm template (${variant}) failed:\n${r.stderr}`);
    return manifests(r.stdout);
  }

  /**
   * A kustomization that reuses an overlay in namespace `ns`, as docs/deploy.md tells users to:
   * `namespace:` moves the objects (and renames the Namespace object); the NamespaceTransformer with
   * setRoleBindingSubjects=allServiceAccounts also moves the ClusterRoleBinding subjects, which the plain
   * field leaves in the overlay's namespace. kustomize wants relative paths.
   */
  function wrapper(dir: string, overlay: string, ns: string, extra: Record<string, unknown> = {}): void {
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "kustomization.yaml"),
      stringify({
        apiVersion: "kustomize.config.k8s.io/v1beta1",
        kind: "Kustomization",
        namespace: ns,
        resources: [relative(dir, join(KUSTOMIZE, "overlays", overlay))],
        transformers: [
          stringify({
            apiVersion: "builtin",
            kind: "NamespaceTransformer",
            metadata: { name: "move", namespace: ns },
            setRoleBindingSubjects: "allServiceAccounts",
          }),
        ],
        ...extra,
      }),
    );
  }

  /** Renders an overlay through a wrapper kustomization that moves it to `ns` (and renames, if asked). */
  async function kustomize(overlay: string, ns: string, nameSuffix = ""): Promise<Manifest[]> {
    const dir = join(work, `k-${overlay}-${ns}${nameSuffix}`);
    wrapper(dir, overlay, ns, nameSuffix ? { nameSuffix } : {});
    return manifests(await kubectlOk(["kustomize", dir]));
  }

  /** Server-side dry-run apply; fails on an error or on a PodSecurity warning for a workload. */
  async function dryRunApply(what: string, ms: Manifest[]): Promise<void> {
    const r = await kubectl(
      ["apply", "--server-side", "--dry-run=server", `--field-manager=${FIELD_MANAGER}`, "-f", "-"],
      toYaml(ms),
    );
    assert.equal(r.code, 0, `${what}: server-side dry-run apply failed:\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /would violate PodSecurity/, `${what}: PodSecurity warning:\n${r.stderr}`);
    const applied = r.stdout.split("\n").filter((l) => l.includes("(server dry run)"));
    assert.equal(
      applied.length,
      ms.length,
      `${what}: expected ${ms.length} objects applied, got:\n${r.stdout}`,
    );
  }

  /** Pods made from every workload's pod template: PodSecurity admission enforces on Pods only. */
  function podsOf(ms: Manifest[], ns: string): Manifest[] {
    return ms
      .filter((m) => m.kind === "Deployment" || m.kind === "StatefulSet")
      .map((m) => {
        const template = (m.spec?.["template"] ?? {}) as { spec: Record<string, unknown> };
        const spec = structuredClone(template.spec) as {
          volumes?: ({ name: string } & Record<string, unknown>)[];
          containers: { volumeMounts?: { name: string }[] }[];
        };
        // volumeClaimTemplates become volumes in a StatefulSet's pods: stand them in with emptyDir.
        const have = new Set((spec.volumes ?? []).map((v) => v.name));
        for (const c of spec.containers) {
          for (const vm of c.volumeMounts ?? []) {
            if (!have.has(vm.name)) {
              spec.volumes = [...(spec.volumes ?? []), { name: vm.name, emptyDir: {} }];
              have.add(vm.name);
            }
          }
        }
        const pod: Manifest = {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: `${m.metadata.name}-pss`.slice(0, 63), namespace: ns },
          spec,
        };
        return pod;
      });
  }

  /** Real ServiceAccounts the pods name (ServiceAccount admission rejects a Pod whose SA is missing). */
  async function ensureServiceAccounts(ns: string, pods: Manifest[]): Promise<void> {
    const names = new Set(
      pods.map((p) => {
        const sa = p.spec?.["serviceAccountName"];
        return typeof sa === "string" ? sa : "default";
      }),
    );
    const sas: Manifest[] = [...names].map((name) => ({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name, namespace: ns },
    }));
    await kubectlOk(["apply", "--server-side", `--field-manager=${FIELD_MANAGER}`, "-f", "-"], toYaml(sas));
  }

  async function checkPodSecurity(what: string, ms: Manifest[], ns: string): Promise<number> {
    const pods = podsOf(ms, ns);
    assert.ok(pods.length > 0, `${what}: no workloads rendered`);
    await ensureServiceAccounts(ns, pods);
    const r = await kubectl(
      ["apply", "--server-side", "--dry-run=server", `--field-manager=${FIELD_MANAGER}`, "-f", "-"],
      toYaml(pods),
    );
    assert.equal(r.code, 0, `${what}: a pod template violates the restricted profile:\n${r.stderr}`);
    return pods.length;
  }

  before(async (t) => {
    cp = await sharedControlPlane();
    helm = await binary("helm");
    await binary("kubectl");
    for (const stub of STUB_CRDS) {
      const crd = await kubectl(["get", "crd", stub.metadata.name, "--ignore-not-found", "-o", "name"]);
      if (crd.stdout.trim() !== "") continue;
      await kubectlOk(["create", "-f", "-"], JSON.stringify(stub));
      createdCrds.push(stub.metadata.name);
      await kubectlOk(["wait", "--for=condition=Established", `crd/${stub.metadata.name}`, "--timeout=60s"]);
    }
    apiVersions = (await kubectlOk(["api-versions"])).split("\n").filter((l) => l.trim() !== "");
    // helm built from modules without its k8sVersion ldflags assumes Kubernetes 1.20; say what we run.
    const version = JSON.parse(await kubectlOk(["version", "-o", "json"])) as {
      serverVersion?: { gitVersion?: string };
    };
    kubeVersion = version.serverVersion?.gitVersion ?? "";
    assert.match(kubeVersion, /^v1\.\d+\.\d+/, "apiserver version");
    t.diagnostic(
      `helm ${helm}; ${apiVersions.length} API versions; variants: ${HELM_VARIANTS.join(", ")}; overlays: ${OVERLAYS.join(", ")}`,
    );
  });

  after(async () => {
    for (const obj of clusterObjects)
      await cp?.kubectl(["delete", obj, "--ignore-not-found", "--wait=false"]);
    for (const ns of namespaces)
      await cp?.kubectl(["delete", "namespace", ns, "--ignore-not-found", "--wait=false"]);
    for (const name of createdCrds)
      await cp?.kubectl(["delete", "crd", name, "--ignore-not-found", "--wait=false"]);
    rmSync(work, { recursive: true, force: true });
  });

  describe("Helm chart", () => {
    it("has a values file per variant, and the expected ones", () => {
      assert.deepEqual(HELM_VARIANTS, ["attribution", "default", "external-redis", "no-secrets", "split"]);
    });

    it("passes `helm lint --strict` with every variant", async () => {
      for (const variant of HELM_VARIANTS) {
        const r = await helmRun([
          "lint",
          "--strict",
          CHART,
          "-f",
          join(CHART, "ci", `${variant}-values.yaml`),
        ]);
        assert.equal(r.code, 0, `helm lint (${variant}):\n${r.stdout}\n${r.stderr}`);
        assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
      }
    });

    it("refuses values that cannot work, naming the value", async () => {
      const cases: [string[], RegExp][] = [
        [["--set", "mode=both"], /mode/],
        [["--set", "secretProtection.mode=encrypt"], /ageRecipients/],
        [["--set", "secretProtection.ageRecipients[0]=age1short"], /ageRecipients/],
        [["--set", "redis.bundled=false"], /redis\.external\.url or redis\.external\.existingSecret/],
        [
          ["--set", "redis.bundled=false", "--set", "redis.external.url=redis://:hunter2@r:6379"],
          /contains a password/,
        ],
        [
          [
            "--set",
            "notifier.sinks[0].name=Bad_Name",
            "--set",
            "notifier.sinks[0].type=slack",
            "--set",
            "notifier.sinks[0].url=https://x",
          ],
          /name/,
        ],
        [
          ["--set", "notifier.sinks[0].name=ops", "--set", "notifier.sinks[0].type=slack"],
          /notifier\.sinks\[ops\] needs url or existingSecret/,
        ],
        [["--set", "typoKey=1"], /typoKey/],
        [
          ["--set", "repo.remote.url=https://ghp_t0ken-in-url@git.example/ops/history.git"],
          /repo\.remote\.url must not contain credentials/,
        ],
        [
          ["--set", "repo.remote.url=https://x-access-token:ghp_t0ken-in-url@git.example/ops/history.git"],
          /repo\.remote\.url must not contain credentials/,
        ],
        [
          ["--set", "redis.maxmemory=500mb"],
          /redis\.maxmemory 500mb is above 90% of redis\.resources\.limits\.memory 512Mi/,
        ],
        [["--set-string", "redis.maxmemory=0"], /redis\/maxmemory/],
        [
          ["--set", "attribution.admission.enabled=true"],
          /attribution\.admission\.enabled needs "admission"/,
        ],
        [["--set", "attribution.sources[0]=ldap"], /attribution\/sources/],
        [
          ["--set", "attribution.sources[0]=audit", "--set", "attribution.networkPolicy.enabled=true"],
          /attribution\.networkPolicy\.from/,
        ],
        [
          ["--set", "attribution.sources[0]=admission", "--set", "attribution.tls.mode=secret"],
          /attribution\.tls\.secretName/,
        ],
        [
          [
            "--set",
            "attribution.sources[0]=admission",
            "--set",
            "attribution.admission.enabled=true",
            "--set",
            "attribution.tls.mode=secret",
            "--set",
            "attribution.tls.secretName=own-tls",
          ],
          /attribution\.tls\.caBundle/,
        ],
        [
          ["--set", "attribution.sources[0]=audit", "--set", "attribution.receiver.port=9090"],
          /metrics port/,
        ],
      ];
      for (const [set, message] of cases) {
        const r = await helmRun(["template", "x", CHART, "--kube-version", kubeVersion, ...set]);
        assert.notEqual(r.code, 0, `helm template ${set.join(" ")} should fail`);
        assert.match(r.stderr, message, `helm template ${set.join(" ")}: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, /ghp_t0ken-in-url/, "the credential is not echoed");
      }
    });

    for (const variant of ["attribution", "default", "external-redis", "no-secrets", "split"]) {
      it(`${variant}: renders and applies (server-side dry run) into a restricted namespace, pods included`, async (t) => {
        const ns = await restrictedNamespace(`helm-${variant}`);
        const ms = await helmTemplate(variant, "shiplog", ns);
        shiplogConfig(ms);
        await dryRunApply(`helm ${variant}`, ms);
        const pods = await checkPodSecurity(`helm ${variant}`, ms, ns);
        t.diagnostic(
          `${variant}: ${ms.length} objects (${[...new Set(ms.map((m) => m.kind))].join(", ")}), ${pods} pod templates pass restricted`,
        );
        for (const m of ms) {
          if (m.kind === "Deployment" && m.metadata.name.endsWith("committer")) {
            assert.equal(
              (m.spec?.["strategy"] as { type: string }).type,
              "Recreate",
              "the committer must use Recreate",
            );
            assert.equal(m.spec?.["replicas"], 1, "the committer runs one replica");
          }
        }
      });
    }

    it("renders the choices into config.yaml and never puts a credential in it", async () => {
      const ns = "cfg";
      const split = await helmTemplate("split", "shiplog", ns);
      const config = shiplogConfig(split);
      assert.equal(config.redis.url, `redis://shiplog-redis.${ns}.svc:6379/0`);
      assert.equal(config.secrets.mode, "redact");
      assert.equal(config.secrets.hmacKeyFile, "/etc/shiplog/secrets/hmac/hmac-key");
      assert.equal(config.repo.path, "/var/lib/shiplog/repo");
      assert.equal(config.repo.remote?.tokenFile, "/etc/shiplog/secrets/git/token");
      assert.equal(config.server.listen, "0.0.0.0:9090");
      assert.deepEqual(config.notifier.sinks[0]?.routes.ops, ["update", "delete"]);
      assert.deepEqual(
        config.notifier.sinks.map((x) => [x.name, x.urlFile, x.secretFile]),
        [
          ["ops-slack", "/etc/shiplog/secrets/sinks/ops-slack/url", undefined],
          [
            "audit-webhook",
            "/etc/shiplog/secrets/sinks/audit-webhook/url",
            "/etc/shiplog/secrets/sinks/audit-webhook/secret",
          ],
        ],
      );
      for (const secretValue of ["not-a-real-token", "hooks.slack.example/services"]) {
        for (const m of split.filter((x) => x.kind !== "Secret")) {
          assert.ok(
            !JSON.stringify(m).includes(secretValue),
            `${m.kind}/${m.metadata.name} contains a credential`,
          );
        }
      }
      const noSecrets = shiplogConfig(await helmTemplate("no-secrets", "shiplog", ns));
      assert.ok(noSecrets.watch.exclude.resources.includes("secrets"), "secrets excluded from watch");
      assert.ok(noSecrets.watch.exclude.resources.includes("events"), "the default excludes are kept");
      const ext = await helmTemplate("external-redis", "shiplog", ns);
      const extConfig = shiplogConfig(ext);
      assert.equal(extConfig.secrets.mode, "encrypt");
      assert.equal(extConfig.repo.remote?.sshKeyFile, "/etc/shiplog/secrets/git/ssh-privatekey");
      const deploy = ext.find((m) => m.kind === "Deployment");
      assert.match(
        JSON.stringify(deploy),
        /"name":"SHIPLOG_REDIS_URL","valueFrom":\{"secretKeyRef":\{"name":"shiplog-redis","key":"url"\}\}/,
      );
      assert.ok(!ext.some((m) => m.kind === "StatefulSet"), "no bundled Redis with redis.bundled=false");
      assert.ok(
        !ext.some((m) => m.kind === "PersistentVolumeClaim"),
        "no PVC with persistence.enabled=false",
      );
    });
  });

  describe("attribution: the receiver, its certificate and token, the webhook (Helm)", () => {
    const b64 = (v: string | undefined): Buffer => Buffer.from(v ?? "", "base64");
    const secretData = (ms: Manifest[], name: string): Record<string, string> | undefined =>
      (ms.find((m) => m.kind === "Secret" && m.metadata.name === name) as { data?: Record<string, string> })
        ?.data;

    for (const layout of ["all-in-one", "split"]) {
      it(`generate (${layout}): a CA and a serving certificate for the Service name, the same CA in the webhook`, async (t) => {
        const ns = "attr";
        const ms = await helmTemplate("attribution", "shiplog", ns, ["--set", `mode=${layout}`]);
        const r = checkAttribution(`helm ${layout}`, ms, ns, {
          sources: ["audit", "admission"],
          component: layout === "split" ? "committer" : "all-in-one",
          webhook: true,
        });
        assert.equal(r.config.attribution.grace, 5_000);
        assert.deepEqual(
          r.config.attribution.users.map((u) => u.username),
          ["alice", "system:serviceaccount:ci:deployer"],
        );
        const tls = secretData(ms, r.tlsSecret);
        assert.ok(tls, `the TLS Secret ${r.tlsSecret} is rendered`);
        const cert = new X509Certificate(b64(tls["tls.crt"]));
        const ca = new X509Certificate(b64(tls["ca.crt"]));
        assert.ok(ca.ca, "ca.crt is a CA");
        assert.ok(cert.verify(ca.publicKey), "the serving certificate is signed by ca.crt");
        const host = `${r.service.metadata.name}.${ns}.svc`;
        assert.equal(cert.checkHost(host), host, `the certificate is valid for ${host}`);
        assert.equal(r.webhook?.clientConfig.caBundle, tls["ca.crt"], "the webhook trusts the same CA");
        assert.ok(b64(tls["tls.key"]).toString().includes("PRIVATE KEY"), "tls.key is a PEM key");
        const token = b64(secretData(ms, r.token?.secret ?? "")?.[r.token?.key ?? ""]);
        assert.ok(token.length >= 32, `a generated ${token.length}-byte token`);
        // The NetworkPolicy: the attribution port only from the configured peer, metrics from anywhere.
        const np = ms.find((m) => m.kind === "NetworkPolicy" && m.metadata.name === r.service.metadata.name);
        const npSpec = np?.spec as {
          podSelector: { matchLabels: Record<string, string> };
          ingress: { from?: unknown[]; ports: { port: string }[] }[];
        };
        assert.ok(
          selects(npSpec.podSelector.matchLabels, podLabels(r.deploy)),
          "the policy selects the receiver",
        );
        for (const d of ms.filter((m) => m.kind === "Deployment" && m !== r.deploy))
          assert.ok(!selects(npSpec.podSelector.matchLabels, podLabels(d)), `not ${d.metadata.name}`);
        assert.deepEqual(npSpec.ingress, [
          { from: [{ ipBlock: { cidr: "10.0.0.0/28" } }], ports: [{ port: "attribution", protocol: "TCP" }] },
          { ports: [{ port: "http-metrics", protocol: "TCP" }] },
        ]);
        t.diagnostic(`${layout}: receiver in ${r.deploy.metadata.name}, certificate for ${host}`);
      });
    }

    it("certManager: a Certificate into the mounted Secret and the CA injected by annotation; applies", async () => {
      const ns = await restrictedNamespace("helm-attr-cm");
      const ms = await helmTemplate("attribution", "shiplog", ns, [
        "--set",
        "attribution.tls.mode=certManager",
      ]);
      const r = checkAttribution("helm certManager", ms, ns, {
        sources: ["audit", "admission"],
        component: "all-in-one",
        webhook: true,
      });
      const cert = ms.find((m) => m.kind === "Certificate");
      const spec = cert?.spec as {
        secretName: string;
        dnsNames: string[];
        issuerRef: { name: string; kind: string };
      };
      assert.equal(spec.secretName, r.tlsSecret, "cert-manager writes the Secret the pod mounts");
      assert.ok(spec.dnsNames.includes(`${r.service.metadata.name}.${ns}.svc`), spec.dnsNames.join(", "));
      const issuer = ms.find((m) => m.kind === "Issuer");
      assert.equal(spec.issuerRef.name, issuer?.metadata.name, "the chart's self-signed Issuer");
      assert.equal(
        r.vwc?.metadata.annotations?.["cert-manager.io/inject-ca-from"],
        `${ns}/${cert?.metadata.name}`,
        "cainjector reads the Certificate",
      );
      assert.equal(r.webhook?.clientConfig.caBundle, undefined, "no caBundle: cert-manager injects it");
      assert.equal(secretData(ms, r.tlsSecret), undefined, "the chart does not create the TLS Secret");
      await dryRunApply("helm attribution certManager", ms);
      // An issuer of your own: no Issuer rendered.
      const own = await helmTemplate("attribution", "shiplog", ns, [
        "--set",
        "attribution.tls.mode=certManager",
        "--set",
        "attribution.tls.issuerRef.name=cluster-ca",
        "--set",
        "attribution.tls.issuerRef.kind=ClusterIssuer",
      ]);
      assert.ok(!own.some((m) => m.kind === "Issuer"));
      assert.deepEqual(
        (own.find((m) => m.kind === "Certificate")?.spec as { issuerRef: unknown }).issuerRef,
        {
          name: "cluster-ca",
          kind: "ClusterIssuer",
        },
      );
    });

    it("secret: an existing TLS Secret and token Secret are mounted, nothing is generated", async () => {
      const ms = await helmTemplate("attribution", "shiplog", "attr", [
        "--set",
        "attribution.tls.mode=secret",
        "--set",
        "attribution.tls.secretName=team-attribution-tls",
        "--set",
        "attribution.tls.caBundle=Q0EtQlVORExF",
        "--set",
        "attribution.audit.tokenSecret.name=team-audit-token",
        "--set",
        "attribution.audit.tokenSecret.key=tokens",
      ]);
      const r = checkAttribution("helm secret", ms, "attr", {
        sources: ["audit", "admission"],
        component: "all-in-one",
        webhook: true,
      });
      assert.equal(r.tlsSecret, "team-attribution-tls");
      assert.deepEqual(r.token, { secret: "team-audit-token", key: "tokens" });
      assert.equal(r.config.attribution.receiver.tokenFile, `${ATTRIBUTION_TOKEN_DIR}/tokens`);
      assert.equal(r.webhook?.clientConfig.caBundle, "Q0EtQlVORExF");
      assert.ok(
        !ms.some(
          (m) => m.kind === "Secret" && m.metadata.labels?.["app.kubernetes.io/component"] === "attribution",
        ),
      );
    });

    it("admission only: no token; audit only: no webhook; no sources: nothing at all", async () => {
      const admission = await helmTemplate("default", "shiplog", "attr", [
        "--set",
        "attribution.sources[0]=admission",
        "--set",
        "attribution.admission.enabled=true",
      ]);
      const a = checkAttribution("admission only", admission, "attr", {
        sources: ["admission"],
        component: "all-in-one",
        webhook: true,
      });
      assert.equal(a.config.attribution.receiver.tokenFile, undefined);
      assert.ok(!admission.some((m) => m.metadata.name.endsWith("-attribution-token")));
      const audit = await helmTemplate("default", "shiplog", "attr", [
        "--set",
        "attribution.sources[0]=audit",
      ]);
      checkAttribution("audit only", audit, "attr", {
        sources: ["audit"],
        component: "all-in-one",
        webhook: false,
      });
      const off = await helmTemplate("default", "shiplog", "attr");
      assert.deepEqual(shiplogConfig(off).attribution.sources, []);
      assert.ok(!off.some((m) => m.metadata.name.includes("attribution")), "nothing named attribution");
      assert.ok(!JSON.stringify(off).includes("9443"), "no receiver port");
    });

    it("generate: an upgrade keeps the existing certificate, CA and token (lookup)", async () => {
      const ns = await restrictedNamespace("helm-attr-keep");
      const first = await helmTemplate("attribution", "shiplog", ns);
      const kept = first.filter(
        (m) => m.kind === "Secret" && m.metadata.labels?.["app.kubernetes.io/component"] === "attribution",
      );
      assert.equal(kept.length, 2, "the TLS and the token Secret");
      await kubectlOk(
        ["apply", "--server-side", `--field-manager=${FIELD_MANAGER}`, "-f", "-"],
        toYaml(kept),
      );
      const again = await helmTemplate("attribution", "shiplog", ns, [
        "--dry-run=server",
        "--kubeconfig",
        cp.kubeconfigPath,
      ]);
      for (const s of kept)
        assert.deepEqual(secretData(again, s.metadata.name), s["data"], `${s.metadata.name} is reused`);
      const webhook = (
        again.find((m) => m.kind === "ValidatingWebhookConfiguration")?.["webhooks"] as Webhook[]
      )[0];
      assert.equal(webhook?.clientConfig.caBundle, secretData(first, "shiplog-attribution-tls")?.["ca.crt"]);
    });
  });

  describe("the fingerprint key in every mode that needs one (core's SecretModeRegistry)", () => {
    /** Values for `mode` (plus age recipients where the mode needs them) and a layout. */
    function modeArgs(mode: SecretMode, layout: string): string[] {
      const args = ["--set", `mode=${layout}`, "--set", `secretProtection.mode=${mode}`];
      if (SecretModeRegistry[mode].needsAgeRecipients)
        args.push("--set", `secretProtection.ageRecipients[0]=${RECIPIENT}`);
      return args;
    }

    it("Helm creates the key Secret, mounts it into every recording pod and sets secrets.hmacKeyFile", async (t) => {
      const seen: string[] = [];
      for (const mode of SECRET_MODE_NAMES) {
        for (const layout of ["all-in-one", "split"]) {
          const what = `${mode}/${layout}`;
          const ms = await helmTemplate("default", "shiplog", "keys", modeArgs(mode, layout));
          const config = shiplogConfig(ms);
          assert.equal(config.secrets.mode, mode, what);
          const keySecrets = ms.filter((m) => m.kind === "Secret" && m.metadata.name === "shiplog-hmac");
          const pods = recorders(ms);
          assert.equal(pods.length, layout === "split" ? 2 : 1, `${what}: recording Deployments`);
          if (!SecretModeRegistry[mode].needsHmacKey) {
            assert.equal(config.secrets.hmacKeyFile, undefined, `${what}: no key file`);
            assert.equal(keySecrets.length, 0, `${what}: no key Secret`);
            for (const d of pods)
              assert.equal(secretBehind(d, KEY_FILE), undefined, `${what}: nothing mounted`);
            continue;
          }
          assert.equal(config.secrets.hmacKeyFile, KEY_FILE, `${what}: secrets.hmacKeyFile`);
          assert.equal(keySecrets.length, 1, `${what}: one key Secret`);
          const secret = keySecrets[0] as Manifest & { data?: Record<string, string> };
          assert.equal(secret.metadata.annotations?.["helm.sh/resource-policy"], "keep", `${what}: kept`);
          const key = Buffer.from(secret.data?.["hmac-key"] ?? "", "base64");
          assert.ok(key.length >= MIN_HMAC_KEY_BYTES, `${what}: a ${key.length}-byte key`);
          for (const d of pods)
            assert.equal(
              secretBehind(d, KEY_FILE),
              "shiplog-hmac",
              `${what}: ${d.metadata.name} mounts the key`,
            );
          seen.push(what);
        }
      }
      assert.ok(seen.includes("encrypt/all-in-one") && seen.includes("encrypt/split"), seen.join(", "));

      // secretProtection.hmacKey.existingSecret: nothing created, the named Secret mounted.
      const own = await helmTemplate("default", "shiplog", "keys", [
        ...modeArgs("encrypt", "split"),
        "--set",
        "secretProtection.hmacKey.existingSecret=team-fingerprint-key",
      ]);
      assert.ok(!own.some((m) => m.kind === "Secret" && m.metadata.name === "shiplog-hmac"));
      for (const d of recorders(own)) assert.equal(secretBehind(d, KEY_FILE), "team-fingerprint-key");
      t.diagnostic(`key Secret created and mounted for ${seen.join(", ")}`);
    });

    it("Helm keeps the key of an existing Secret when it renders against the cluster (lookup)", async () => {
      const ns = await restrictedNamespace("helm-key");
      const existing = Buffer.from("existing-fingerprint-key-0123456789", "utf8").toString("base64");
      await kubectlOk(
        ["apply", "--server-side", `--field-manager=${FIELD_MANAGER}`, "-f", "-"],
        toYaml([
          {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: "shiplog-hmac", namespace: ns },
            type: "Opaque",
            data: { "hmac-key": existing },
          },
        ]),
      );
      const keyOf = (ms: Manifest[]): string | undefined =>
        (
          ms.find((m) => m.kind === "Secret" && m.metadata.name === "shiplog-hmac") as {
            data?: Record<string, string>;
          }
        )?.data?.["hmac-key"];
      // As `helm install/upgrade` renders: lookup sees the Secret and keeps its key.
      const server = ["--dry-run=server", "--kubeconfig", cp.kubeconfigPath];
      for (const layout of ["all-in-one", "split"]) {
        const ms = await helmTemplate("default", "shiplog", ns, [...modeArgs("encrypt", layout), ...server]);
        assert.equal(keyOf(ms), existing, `encrypt/${layout}: the existing key is kept`);
      }
      // Plain `helm template` cannot look up: a new random key (why GitOps users name existingSecret).
      const offline = keyOf(await helmTemplate("default", "shiplog", ns, modeArgs("encrypt", "all-in-one")));
      assert.ok(offline !== undefined && offline !== existing);
    });

    it("kustomize: every overlay whose mode needs the key mounts Secret shiplog-hmac at secrets.hmacKeyFile", async (t) => {
      const modes: string[] = [];
      for (const overlay of OVERLAYS) {
        const ms = await kustomize(overlay, "keys");
        const config = shiplogConfig(ms);
        const pods = recorders(ms);
        assert.ok(pods.length > 0, `${overlay}: recording Deployments`);
        modes.push(`${overlay}: ${config.secrets.mode}`);
        if (SecretModeRegistry[config.secrets.mode].needsHmacKey) {
          assert.equal(config.secrets.hmacKeyFile, KEY_FILE, `${overlay}: secrets.hmacKeyFile`);
          for (const d of pods)
            assert.equal(
              secretBehind(d, KEY_FILE),
              "shiplog-hmac",
              `${overlay}: ${d.metadata.name} mounts the key`,
            );
        } else {
          assert.equal(config.secrets.hmacKeyFile, undefined, `${overlay}: no key file`);
          for (const d of pods)
            assert.equal(secretBehind(d, KEY_FILE), undefined, `${overlay}: nothing mounted`);
        }
      }
      assert.ok(modes.includes("full: encrypt"), modes.join(", "));
      t.diagnostic(modes.join(", "));
    });
  });

  it("the bundled Redis runs with noeviction and a --maxmemory below its memory limit (Helm and kustomize)", async () => {
    const rendered: [string, Manifest[]][] = [
      ["helm default", await helmTemplate("default", "shiplog", "redis")],
      ["helm split", await helmTemplate("split", "shiplog", "redis")],
      ["kustomize all-in-one", await kustomize("all-in-one", "redis")],
      ["kustomize split", await kustomize("split", "redis")],
    ];
    for (const [what, ms] of rendered) {
      const sts = ms.filter((m) => m.kind === "StatefulSet");
      assert.equal(sts.length, 1, `${what}: one bundled Redis`);
      const c = podSpec(sts[0] as Manifest).containers[0];
      assert.equal(argAfter(c?.args, "--maxmemory-policy"), "noeviction", `${what}: maxmemory-policy`);
      assert.equal(argAfter(c?.args, "--maxmemory"), "384mb", `${what}: maxmemory`);
      assert.equal(c?.resources?.limits?.memory, "512Mi", `${what}: memory limit`);
    }
  });

  describe("kustomize overlays", () => {
    it("has the expected overlays", () => {
      assert.deepEqual(OVERLAYS, [
        "all-in-one",
        "attribution",
        "external-redis",
        "full",
        "no-secrets",
        "split",
      ]);
    });

    for (const overlay of ["all-in-one", "attribution", "external-redis", "full", "no-secrets", "split"]) {
      it(`${overlay}: renders with the built kubectl and applies (server-side dry run), pods included`, async (t) => {
        const ns = await restrictedNamespace(`k-${overlay}`);
        const ms = await kustomize(overlay, ns);
        shiplogConfig(ms);
        await dryRunApply(`kustomize ${overlay}`, ms);
        const pods = await checkPodSecurity(`kustomize ${overlay}`, ms, ns);
        const namespaceObj = ms.find((m) => m.kind === "Namespace");
        assert.equal(namespaceObj?.metadata.labels?.["pod-security.kubernetes.io/enforce"], "restricted");
        t.diagnostic(
          `${overlay}: ${ms.length} objects (${[...new Set(ms.map((m) => m.kind))].join(", ")}), ${pods} pod templates pass restricted`,
        );
      });
    }
  });

  describe("kustomize attribution components", () => {
    it("attribution overlay: receiver, token, webhook and certificate agree, in another namespace too", async (t) => {
      for (const ns of ["shiplog", "ops-history"]) {
        const dir = join(work, `k-attribution-moved-${ns}`);
        wrapper(dir, "attribution", ns, { replacements: ATTRIBUTION_REPLACEMENTS });
        const ms = manifests(await kubectlOk(["kustomize", dir]));
        const r = checkAttribution(`kustomize attribution in ${ns}`, ms, ns, {
          sources: ["audit", "admission"],
          component: "all-in-one",
          webhook: true,
        });
        assert.deepEqual(r.token, { secret: "shiplog-attribution-token", key: "token" });
        const cert = ms.find((m) => m.kind === "Certificate");
        const spec = cert?.spec as { secretName: string; commonName: string; dnsNames: string[] };
        assert.equal(spec.secretName, r.tlsSecret, "cert-manager writes the Secret the pod mounts");
        const host = `${r.service.metadata.name}.${ns}.svc`;
        assert.equal(spec.commonName, host);
        assert.deepEqual(spec.dnsNames, [
          r.service.metadata.name,
          `${r.service.metadata.name}.${ns}`,
          host,
          `${host}.cluster.local`,
        ]);
        assert.equal(
          r.vwc?.metadata.annotations?.["cert-manager.io/inject-ca-from"],
          `${cert?.metadata.namespace}/${cert?.metadata.name}`,
        );
        assert.equal(cert?.metadata.namespace, ns);
      }
      t.diagnostic("names and the CA injection follow the namespace with the documented replacements");
    });

    it("with components/split the receiver lands on the committer only", async () => {
      const dir = join(work, "k-attribution-split");
      mkdirSync(dir, { recursive: true });
      const components = join(KUSTOMIZE, "components");
      const config = parse(
        readFileSync(join(KUSTOMIZE, "overlays", "attribution", "config.yaml"), "utf8"),
      ) as {
        attribution: { sources: string[] };
      };
      config.attribution.sources = ["audit"];
      writeFileSync(join(dir, "config.yaml"), stringify(config));
      writeFileSync(
        join(dir, "kustomization.yaml"),
        stringify({
          apiVersion: "kustomize.config.k8s.io/v1beta1",
          kind: "Kustomization",
          resources: [relative(dir, join(KUSTOMIZE, "base"))],
          components: ["split", "attribution-receiver", "attribution-audit"].map((c) =>
            relative(dir, join(components, c)),
          ),
          configMapGenerator: [{ name: "shiplog-config", behavior: "replace", files: ["config.yaml"] }],
        }),
      );
      const ms = manifests(await kubectlOk(["kustomize", dir]));
      checkAttribution("kustomize split + audit", ms, "shiplog", {
        sources: ["audit"],
        component: "committer",
        webhook: false,
      });
    });
  });

  describe("deploy/attribution: the audit policy and webhook kubeconfig examples", () => {
    const policyFile = join(ATTRIBUTION_EXAMPLES, "audit-policy.yaml");
    const policy = parse(readFileSync(policyFile, "utf8")) as {
      apiVersion: string;
      kind: string;
      omitStages?: string[];
      rules: AuditRule[];
    };

    it("audits each change at Metadata, reads and noise not at all, Secrets and tokens never above Metadata", () => {
      assert.equal(policy.apiVersion, "audit.k8s.io/v1");
      assert.equal(policy.kind, "Policy");
      assert.deepEqual(policy.omitStages, ["RequestReceived"]);
      const cases: [verb: string, group: string, resource: string, level: string][] = [
        ["get", "", "secrets", "None"],
        ["list", "", "secrets", "None"],
        ["watch", "apps", "deployments", "None"],
        ["create", "", "secrets", "Metadata"],
        ["update", "", "secrets", "Metadata"],
        ["patch", "", "secrets", "Metadata"],
        ["delete", "", "secrets", "Metadata"],
        ["create", "", "serviceaccounts/token", "Metadata"],
        ["create", "authentication.k8s.io", "tokenreviews", "Metadata"],
        ["patch", "apps", "deployments", "Metadata"],
        ["update", "apps", "deployments/scale", "Metadata"],
        ["create", "", "configmaps", "Metadata"],
        ["delete", "", "namespaces", "Metadata"],
        ["deletecollection", "", "pods", "Metadata"],
        ["create", "", "events", "None"],
        ["patch", "events.k8s.io", "events", "None"],
        ["update", "coordination.k8s.io", "leases", "None"],
      ];
      const wrong = cases
        .map(([verb, group, resource, level]) => [
          verb,
          group,
          resource,
          level,
          auditLevel(policy.rules, verb, group, resource),
        ])
        .filter(([, , , want, got]) => want !== got)
        .map(([verb, group, resource, want, got]) => `${verb} ${group}/${resource}: ${got} (want ${want})`);
      assert.deepEqual(wrong, []);
      const levels = new Set(policy.rules.map((r) => r.level));
      assert.ok(!levels.has("Request") && !levels.has("RequestResponse"), "no rule records bodies");
    });

    it("the real kube-apiserver loads both (and refuses a broken policy)", async (t) => {
      const apiserver = await binary("kube-apiserver");
      const dir = join(work, "audit-examples");
      mkdirSync(dir, { recursive: true });
      const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
      writeFileSync(join(dir, "sa.key"), privateKey.export({ type: "pkcs8", format: "pem" }));
      writeFileSync(join(dir, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }));
      // The example with its CA path pointing at a file that exists here.
      const kubeconfig = join(dir, "audit-webhook.kubeconfig");
      writeFileSync(
        kubeconfig,
        readFileSync(join(ATTRIBUTION_EXAMPLES, "audit-webhook.kubeconfig"), "utf8").replace(
          /certificate-authority: .*/,
          `certificate-authority: ${cp.caFile}`,
        ),
        { mode: 0o600 },
      );
      const broken = join(dir, "broken-policy.yaml");
      writeFileSync(broken, "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Everything\n");

      /**
       * Starts kube-apiserver against an etcd that does not exist (nothing is stored anywhere) and waits
       * for "Using audit backend" (the policy and the webhook kubeconfig are loaded) or its exit.
       */
      async function loads(policyPath: string): Promise<{ ok: boolean; log: string }> {
        const port = await freePort();
        const child = spawn(
          apiserver,
          [
            "--etcd-servers=http://127.0.0.1:1",
            `--audit-policy-file=${policyPath}`,
            `--audit-webhook-config-file=${kubeconfig}`,
            "--audit-webhook-mode=batch",
            "--audit-webhook-batch-max-wait=1s",
            "--service-account-issuer=https://shiplog.test",
            `--service-account-key-file=${join(dir, "sa.pub")}`,
            `--service-account-signing-key-file=${join(dir, "sa.key")}`,
            `--cert-dir=${join(dir, "certs")}`,
            "--bind-address=127.0.0.1",
            `--secure-port=${port}`,
            "--service-cluster-ip-range=10.96.0.0/16",
            "-v=3",
          ],
          { stdio: ["ignore", "ignore", "pipe"] },
        );
        let log = "";
        try {
          return await new Promise((resolve) => {
            const timer = setTimeout(() => resolve({ ok: false, log: `${log}\n(timed out)` }), 30_000);
            child.stderr.setEncoding("utf8");
            child.stderr.on("data", (chunk: string) => {
              log += chunk;
              if (/Using audit backend: .*webhook/.test(log)) {
                clearTimeout(timer);
                resolve({ ok: true, log });
              }
            });
            child.on("exit", () => {
              clearTimeout(timer);
              resolve({ ok: false, log });
            });
          });
        } finally {
          if (child.exitCode === null && child.pid !== undefined) child.kill("SIGKILL");
        }
      }

      const good = await loads(policyFile);
      const failure = /"command failed" err=.*/.exec(good.log)?.[0] ?? good.log.slice(-2000);
      assert.ok(good.ok, `kube-apiserver did not load the examples: ${failure}`);
      const bad = await loads(broken);
      assert.ok(!bad.ok, "a broken policy must be refused");
      assert.match(bad.log, /loading audit policy file: rules\[0\]\.level: Unsupported value/);
      t.diagnostic(
        `kube-apiserver ${apiserver}: example policy and kubeconfig loaded; a broken policy refused`,
      );
    });
  });

  it("the restricted-profile check can fail: a pod template without its securityContext is rejected", async () => {
    const ns = await restrictedNamespace("pss-negative");
    const ms = await helmTemplate("default", "shiplog", ns);
    const pods = podsOf(ms, ns);
    await ensureServiceAccounts(ns, pods);
    const bad = structuredClone(pods[0]) as Manifest & {
      spec: { securityContext?: unknown; containers: { securityContext?: unknown }[] };
    };
    delete bad.spec.securityContext;
    for (const c of bad.spec.containers) delete c.securityContext;
    const r = await kubectl(["apply", "--server-side", "--dry-run=server", "-f", "-"], toYaml([bad]));
    assert.notEqual(r.code, 0, "a pod without securityContext must be rejected in a restricted namespace");
    assert.match(r.stderr, /violates PodSecurity "restricted/);
  });

  describe("RBAC, checked by the apiserver's authorizer", () => {
    let listable: string[] = [];
    let crdGroups = new Set<string>();

    before(async () => {
      listable = (await kubectlOk(["api-resources", "-o", "name", "--verbs=list,watch"]))
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l !== "")
        .sort();
      crdGroups = new Set(
        (await kubectlOk(["get", "crd", "-o", 'jsonpath={range .items[*]}{.spec.group}{"\\n"}{end}']))
          .split("\n")
          .filter((g) => g !== ""),
      );
    });

    /** kubectl auth can-i, cluster-wide: true for "yes" (exit 0), false for "no" (exit 1). */
    async function canI(user: string, verb: string, resource: string): Promise<boolean> {
      const r = await kubectl(["auth", "can-i", verb, resource, "--all-namespaces"], undefined, user);
      if (r.code !== 0 && r.code !== 1)
        assert.fail(`kubectl auth can-i ${verb} ${resource}: exit ${r.code}: ${r.stderr}`);
      return r.code === 0;
    }

    /** Real apply of the RBAC objects only, then one can-i per (type, verb). */
    async function checkReader(
      what: string,
      ms: Manifest[],
      sa: string,
      expectReadable: (resource: string) => boolean,
    ): Promise<{ readable: number; denied: number; checks: number }> {
      const rbac = ms.filter((m) => ["ServiceAccount", "ClusterRole", "ClusterRoleBinding"].includes(m.kind));
      for (const m of rbac)
        if (!m.metadata.namespace) clusterObjects.push(`${m.kind.toLowerCase()}/${m.metadata.name}`);
      await kubectlOk(
        ["apply", "--server-side", `--field-manager=${FIELD_MANAGER}`, "-f", "-"],
        toYaml(rbac),
      );
      const pairs = listable.flatMap((res) =>
        [...["get", "list", "watch"], ...WRITE_VERBS].map((verb) => ({ res, verb })),
      );
      const results = await pool(pairs, 4, async ({ res, verb }) => ({
        res,
        verb,
        yes: await canI(sa, verb, res),
      }));
      const wrong: string[] = [];
      for (const { res, verb, yes } of results) {
        const read = verb === "get" || verb === "list" || verb === "watch";
        const want = read && expectReadable(res);
        if (yes !== want) wrong.push(`${verb} ${res}: ${yes ? "yes" : "no"} (want ${want ? "yes" : "no"})`);
      }
      assert.deepEqual(wrong, [], `${what}: the authorizer disagrees with the intended role`);
      const readable = listable.filter(expectReadable).length;
      return { readable, denied: listable.length - readable, checks: results.length };
    }

    it("Helm default: the recorder can get/list/watch every type (CRDs too) and write nothing", async (t) => {
      const ns = await restrictedNamespace("rbac-helm");
      const release = uniquePrefix("rbac");
      const ms = await helmTemplate("default", release, ns);
      const sa = `system:serviceaccount:${ns}:${release}-shiplog`;
      const r = await checkReader("helm default", ms, sa, () => true);
      assert.ok(
        listable.includes("servicemonitors.monitoring.coreos.com"),
        "the CRD is among the listed types",
      );
      t.diagnostic(`${listable.length} listable types: ${r.readable} readable, ${r.checks} can-i checks`);
    });

    it("Helm no-secrets: every type but secrets, nothing written; the restore role writes without delete", async (t) => {
      const ns = await restrictedNamespace("rbac-helm-nosec");
      const release = uniquePrefix("rbacns");
      const ms = await helmTemplate("no-secrets", release, ns);
      const sa = `system:serviceaccount:${ns}:${release}-shiplog`;
      const r = await checkReader("helm no-secrets", ms, sa, (res) => res !== "secrets");
      assert.equal(r.denied, 1, "exactly one type (secrets) is unreadable");
      assert.equal(await canI(sa, "list", "secrets"), false);

      const restoreSa = `system:serviceaccount:${ns}:${release}-shiplog-restore`;
      for (const [verb, resource, allowed, why] of [
        ["patch", "deployments.apps", true, "restore can server-side apply"],
        ["create", "configmaps", true, "restore can re-create a deleted object"],
        ["patch", "servicemonitors.monitoring.coreos.com", true, "restore covers CRD groups"],
        ["delete", "deployments.apps", false, "restore never deletes"],
        ["patch", "secrets", false, "restore leaves Secrets alone by default"],
      ] as const) {
        assert.equal(await canI(restoreSa, verb, resource), allowed, why);
      }
      assert.equal(
        await canI("shiplog-test-sre-member", "patch", "deployments.apps"),
        false,
        "a user outside the group cannot",
      );
      const sre = await cp.kubectl(["auth", "can-i", "patch", "deployments.apps", "-A"], {
        asUser: "someone",
        asGroups: ["sre"],
      });
      assert.equal(sre.code, 0, "restore.extraSubjects binds the sre group");
      t.diagnostic(
        `${r.readable} of ${listable.length} types readable (all but secrets), ${r.checks} can-i checks`,
      );
    });

    it("kustomize all-in-one: the recorder can get/list/watch every type and write nothing", async (t) => {
      const ns = await restrictedNamespace("rbac-k");
      const suffix = `-${uniquePrefix("k").slice(-8)}`;
      const ms = await kustomize("all-in-one", ns, suffix);
      const r = await checkReader(
        "kustomize all-in-one",
        ms,
        `system:serviceaccount:${ns}:shiplog${suffix}`,
        () => true,
      );
      t.diagnostic(`${r.readable} of ${listable.length} types readable, ${r.checks} can-i checks`);
    });

    it("kustomize no-secrets: built-in types but secrets readable; CRD groups need the generated rules", async (t) => {
      const ns = await restrictedNamespace("rbac-k-nosec");
      const suffix = `-${uniquePrefix("k").slice(-8)}`;
      const ms = await kustomize("no-secrets", ns, suffix);
      const groupOf = (res: string) => (res.includes(".") ? res.slice(res.indexOf(".") + 1) : "");
      // The shipped list covers Kubernetes' own groups; types from CRD groups are not covered by it.
      const r = await checkReader(
        "kustomize no-secrets",
        ms,
        `system:serviceaccount:${ns}:shiplog${suffix}`,
        (res) => res !== "secrets" && !crdGroups.has(groupOf(res)),
      );
      t.diagnostic(
        `static list: ${r.readable} of ${listable.length} readable; not covered: secrets + ${r.denied - 1} CRD types`,
      );

      // deploy/rbac/no-secrets-rules.sh regenerates the rules from this cluster: then CRDs are covered too.
      const gen = await run(
        join(ROOT, "deploy", "rbac", "no-secrets-rules.sh"),
        [`--kubeconfig=${cp.kubeconfigPath}`],
        {
          env: { KUBECTL: await binary("kubectl") },
        },
      );
      assert.equal(gen.code, 0, gen.stderr);
      const dir = join(work, `k-generated-${ns}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "reader-rules.yaml"), gen.stdout);
      const suffix2 = `-${uniquePrefix("g").slice(-8)}`;
      wrapper(dir, "no-secrets", ns, {
        nameSuffix: suffix2,
        patches: [{ target: { kind: "ClusterRole", name: "shiplog-reader.*" }, path: "reader-rules.yaml" }],
      });
      const regenerated = manifests(await kubectlOk(["kustomize", dir]));
      const r2 = await checkReader(
        "kustomize no-secrets (generated rules)",
        regenerated,
        `system:serviceaccount:${ns}:shiplog${suffix2}`,
        (res) => res !== "secrets",
      );
      assert.equal(r2.denied, 1, "with generated rules only secrets are unreadable");
      t.diagnostic(`generated rules: ${r2.readable} of ${listable.length} readable`);
    });
  });
});
