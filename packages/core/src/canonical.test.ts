import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createCanonicalizer, type CanonicalizerOptions, type CanonicalResult } from "./canonical.js";
import { CanonicalizeError } from "./canonical-error.js";
import { defaultConfig } from "./config.js";
import { ConfigError } from "./config-error.js";
import { latestManager } from "./managers.js";
import type { KubeObject, ResourceType } from "./resource.js";
import { fromYaml } from "./canonical-yaml.js";

const KEY = "test-fingerprint-key-0123456789";
const deployments: ResourceType = {
  group: "apps",
  version: "v1",
  resource: "deployments",
  kind: "Deployment",
  namespaced: true,
};
const pods: ResourceType = { group: "", version: "v1", resource: "pods", kind: "Pod", namespaced: true };
const services: ResourceType = {
  group: "",
  version: "v1",
  resource: "services",
  kind: "Service",
  namespaced: true,
};
const events: ResourceType = {
  group: "",
  version: "v1",
  resource: "events",
  kind: "Event",
  namespaced: true,
};
const leases: ResourceType = {
  group: "coordination.k8s.io",
  version: "v1",
  resource: "leases",
  kind: "Lease",
  namespaced: true,
};
const clusterRoles: ResourceType = {
  group: "rbac.authorization.k8s.io",
  version: "v1",
  resource: "clusterroles",
  kind: "ClusterRole",
  namespaced: false,
};

function canon(over: Partial<CanonicalizerOptions> = {}) {
  const cfg = defaultConfig();
  return createCanonicalizer({ normalize: cfg.normalize, secrets: cfg.secrets, hmacKey: KEY, ...over });
}

function ok(r: CanonicalResult): Extract<CanonicalResult, { skipped: false }> {
  if (r.skipped) assert.fail(`skipped: ${r.reason}`);
  return r;
}

function deployment(): KubeObject {
  return {
    metadata: {
      name: "web",
      namespace: "default",
      uid: "u-1",
      resourceVersion: "12345",
      generation: 7,
      selfLink: "/apis/apps/v1/namespaces/default/deployments/web",
      creationTimestamp: "2024-01-01T00:00:00Z",
      labels: { app: "web" },
      annotations: {
        "kubectl.kubernetes.io/last-applied-configuration": '{"spec":{}}',
        "deployment.kubernetes.io/revision": "3",
      },
      managedFields: [
        { manager: "kubectl-client-side-apply", operation: "Update", time: "2024-01-01T00:00:00Z" },
        {
          manager: "kube-controller-manager",
          operation: "Update",
          time: "2024-01-03T00:00:00Z",
          subresource: "status",
        },
        { manager: "argocd", operation: "Apply", time: "2024-01-02T00:00:00Z" },
      ],
    },
    spec: { replicas: 2, template: { spec: { containers: [{ name: "web", image: "nginx:1.25" }] } } },
    status: { replicas: 2, readyReplicas: 2 },
  };
}

describe("canonicalize: normalisation", () => {
  it("strips the default noise and keeps identity, fills apiVersion/kind from the type", () => {
    const input = deployment();
    const before = structuredClone(input);
    const r = ok(canon().canonicalize(deployments, input));
    assert.deepEqual(input, before, "input must not be mutated");
    const doc = fromYaml(r.content) as KubeObject;
    assert.equal(doc.apiVersion, "apps/v1");
    assert.equal(doc.kind, "Deployment");
    assert.deepEqual(doc.metadata, {
      name: "web",
      namespace: "default",
      uid: "u-1",
      creationTimestamp: "2024-01-01T00:00:00Z",
      labels: { app: "web" },
      annotations: { "deployment.kubernetes.io/revision": "3" },
    });
    assert.equal(doc["status"], undefined);
    assert.equal(r.path, "default/deployments.apps/web.yaml");
    assert.deepEqual(r.key, {
      group: "apps",
      version: "v1",
      resource: "deployments",
      kind: "Deployment",
      namespace: "default",
      name: "web",
      uid: "u-1",
    });
    assert.equal(r.manager, "argocd");
    assert.equal(r.changedAt, "2024-01-02T00:00:00Z");
    assert.deepEqual(r.labels, { app: "web" });
    assert.equal(r.sensitive, false);
    assert.match(r.contentHash, /^[0-9a-f]{64}$/);
  });

  it("is deterministic: field order and noise do not change content", () => {
    const a = deployment();
    const b = deployment();
    b.metadata = { ...b.metadata, resourceVersion: "99999", generation: 8 };
    b["spec"] = { template: { spec: { containers: [{ image: "nginx:1.25", name: "web" }] } }, replicas: 2 };
    assert.equal(
      ok(canon().canonicalize(deployments, a)).content,
      ok(canon().canonicalize(deployments, b)).content,
    );
  });

  it("keeps status of keepStatus types and applies strip/keep rules", () => {
    const cfg = defaultConfig();
    cfg.normalize.keepStatus = ["services"];
    cfg.normalize.rules = [
      {
        type: "deployments.apps",
        strip: [
          "/metadata/annotations/deployment.kubernetes.io~1revision",
          "/spec/template/spec/containers/*/image",
        ],
        keep: ["/status/replicas", "/metadata/generation"],
      },
      { type: "*", strip: ["/metadata/uid"], keep: [] },
    ];
    const c = canon({ normalize: cfg.normalize });
    const doc = fromYaml(ok(c.canonicalize(deployments, deployment())).content) as KubeObject;
    assert.equal(doc.metadata?.annotations, undefined);
    assert.equal(doc.metadata?.uid, undefined);
    assert.equal(doc.metadata?.generation, 7);
    assert.deepEqual(doc["status"], { replicas: 2 });
    assert.deepEqual(doc["spec"], { replicas: 2, template: { spec: { containers: [{ name: "web" }] } } });
    const svc = fromYaml(
      ok(c.canonicalize(services, { metadata: { name: "s", namespace: "d" }, status: { loadBalancer: {} } }))
        .content,
    ) as KubeObject;
    assert.deepEqual(svc["status"], { loadBalancer: {} });
  });

  it("skips controller-owned objects unless configured otherwise", () => {
    const pod: KubeObject = {
      metadata: {
        name: "web-abc",
        namespace: "default",
        ownerReferences: [{ kind: "ReplicaSet", name: "web-1", controller: true }],
      },
    };
    assert.deepEqual(canon().canonicalize(pods, pod), { skipped: true, reason: "owned-by-controller" });
    const cfg = defaultConfig();
    cfg.normalize.skipControllerOwned = false;
    ok(canon({ normalize: cfg.normalize }).canonicalize(pods, pod));
    // A non-controller owner does not count.
    ok(
      canon().canonicalize(pods, {
        metadata: { name: "p", namespace: "d", ownerReferences: [{ kind: "X", name: "y" }] },
      }),
    );
  });

  it("excludes Events and Leases by default, and honours include/exclude filters", () => {
    const ev = { metadata: { name: "e", namespace: "d" } };
    assert.deepEqual(canon().canonicalize(events, ev), { skipped: true, reason: "excluded-type" });
    assert.deepEqual(canon().canonicalize(leases, ev), { skipped: true, reason: "excluded-type" });
    const w = defaultConfig().watch;
    w.include.resources = ["deployments.apps"];
    w.exclude.namespaces = ["kube-system"];
    const c = canon({ watch: w });
    assert.deepEqual(c.canonicalize(services, ev), { skipped: true, reason: "excluded-type" });
    assert.deepEqual(c.canonicalize(deployments, { metadata: { name: "x", namespace: "kube-system" } }), {
      skipped: true,
      reason: "excluded-namespace",
    });
  });

  it("records cluster-scoped objects under _cluster and skips objects without a name", () => {
    const r = ok(
      canon().canonicalize(clusterRoles, {
        metadata: { name: "system:controller:job-controller", namespace: "ignored" },
        rules: [],
      }),
    );
    assert.equal(
      r.path,
      "_cluster/clusterroles.rbac.authorization.k8s.io/system%3Acontroller%3Ajob-controller.yaml",
    );
    assert.equal(r.key.namespace, "");
    const bad = canon().canonicalize(deployments, { metadata: { namespace: "x" } });
    assert.ok(bad.skipped && bad.reason.startsWith("invalid-object"));
    const noNs = canon().canonicalize(deployments, { metadata: { name: "x" } });
    assert.ok(noNs.skipped && noNs.reason.startsWith("invalid-object"));
  });

  it("throws a typed error for sync use in encrypt mode, and requires a fingerprint key", () => {
    const cfg = defaultConfig();
    const secrets = {
      ...cfg.secrets,
      mode: "encrypt" as const,
      ageRecipients: ["age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"],
    };
    const c = canon({ secrets });
    const secretType: ResourceType = {
      group: "",
      version: "v1",
      resource: "secrets",
      kind: "Secret",
      namespaced: true,
    };
    assert.throws(
      () => c.canonicalize(secretType, { metadata: { name: "s", namespace: "d" }, data: {} }),
      CanonicalizeError,
    );
    ok(c.canonicalize(deployments, deployment()));
    assert.throws(() => createCanonicalizer({ normalize: cfg.normalize, secrets: cfg.secrets }), ConfigError);
    assert.throws(
      () => createCanonicalizer({ normalize: cfg.normalize, secrets: cfg.secrets, hmacKey: "short" }),
      /at least 16 bytes/,
    );
    createCanonicalizer({ normalize: cfg.normalize, secrets: { ...cfg.secrets, mode: "omit" } });
  });
});

describe("latestManager", () => {
  it("picks the newest non-status entry, later entries winning ties", () => {
    assert.deepEqual(latestManager(deployment()), { manager: "argocd", time: "2024-01-02T00:00:00Z" });
    assert.deepEqual(
      latestManager({
        metadata: {
          managedFields: [
            { manager: "a", time: "2024-01-01T00:00:00Z" },
            { manager: "b", time: "2024-01-01T00:00:00Z" },
            { manager: "kubectl", time: "2023-01-01T00:00:00Z", subresource: "scale" },
          ],
        },
      }),
      { manager: "b", time: "2024-01-01T00:00:00Z" },
    );
    assert.deepEqual(latestManager({ metadata: { managedFields: [{ manager: "x" }] } }), { manager: "x" });
    assert.equal(latestManager({ metadata: {} }), undefined);
    assert.equal(
      latestManager({
        metadata: { managedFields: [{ manager: "c", subresource: "status", time: "2025-01-01T00:00:00Z" }] },
      }),
      undefined,
    );
  });
});
