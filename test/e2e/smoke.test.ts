// Proves the harness end to end: a real apiserver (shared), client-node 2.x writes and watches, and
// the built kubectl sees the same objects.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { AppsV1Api, CoreV1Api } from "@kubernetes/client-node";
import { readFileSync } from "node:fs";
import { sharedControlPlane, uniquePrefix, waitForEvent, type ControlPlane } from "../harness/index.js";
import { httpCall } from "../harness/net.js";

describe("smoke: namespace and configmap through a real apiserver", () => {
  let cp: ControlPlane;
  const ns = uniquePrefix("smoke");

  before(async (t) => {
    const t0 = performance.now();
    cp = await sharedControlPlane();
    const ms = performance.now() - t0;
    t.diagnostic(
      `control plane at ${cp.server}: ${cp.startupMs > 0 ? `started in ${(cp.startupMs / 1000).toFixed(1)}s` : "attached to a running one"} (${(ms / 1000).toFixed(2)}s)`,
    );
  });

  after(async () => {
    // Best effort for a failed run; the test below deletes it on success.
    await cp?.kubectl(["delete", "namespace", ns, "--ignore-not-found", "--wait=false"]);
  });

  it("creates, watches and deletes a Namespace and a ConfigMap, and kubectl agrees", async () => {
    const kc = cp.kubeConfig();
    const core = kc.makeApiClient(CoreV1Api);

    const nsAdded = waitForEvent(
      kc,
      "/api/v1/namespaces",
      { fieldSelector: `metadata.name=${ns}` },
      (e) => e.type === "ADDED",
    );
    const created = await core.createNamespace({
      body: { metadata: { name: ns, labels: { test: "smoke" } } },
    });
    assert.equal(created.metadata?.name, ns);
    assert.equal((await nsAdded).object.metadata?.name, ns);

    const cmPath = `/api/v1/namespaces/${ns}/configmaps`;
    const cmAdded = waitForEvent(
      kc,
      cmPath,
      { fieldSelector: "metadata.name=hello" },
      (e) => e.type === "ADDED",
    );
    const cm = await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: "hello" }, data: { greeting: "hi", n: "1" } },
    });
    const added = await cmAdded;
    assert.deepEqual((added.object as { data?: unknown }).data, { greeting: "hi", n: "1" });

    // The built kubectl sees the same objects.
    const got = await cp.kubectl(["get", "configmap", "hello", "-n", ns, "-o", "json"]);
    assert.equal(got.code, 0, got.stderr);
    const fromKubectl = JSON.parse(got.stdout) as { data: unknown; metadata: { uid: string } };
    assert.deepEqual(fromKubectl.data, { greeting: "hi", n: "1" });
    assert.equal(fromKubectl.metadata.uid, cm.metadata?.uid);
    const gotNs = await cp.kubectl(["get", "namespace", ns, "-o", "json"]);
    assert.equal(gotNs.code, 0, gotNs.stderr);
    assert.equal(
      (JSON.parse(gotNs.stdout) as { metadata: { uid: string } }).metadata.uid,
      created.metadata?.uid,
    );
    const version = await cp.kubectl(["version", "-o", "json"]);
    assert.equal(version.code, 0, version.stderr);
    const v = JSON.parse(version.stdout) as { serverVersion: { gitVersion: string } };
    assert.match(v.serverVersion.gitVersion, /^v1\.36\./);

    // Deletion of the ConfigMap, watched from its resourceVersion so it cannot be missed.
    const cmDeleted = waitForEvent(
      kc,
      cmPath,
      { fieldSelector: "metadata.name=hello", resourceVersion: cm.metadata?.resourceVersion },
      (e) => e.type === "DELETED",
    );
    await core.deleteNamespacedConfigMap({ name: "hello", namespace: ns });
    assert.equal((await cmDeleted).object.metadata?.name, "hello");
    const gone = await cp.kubectl(["get", "configmap", "hello", "-n", ns, "-o", "json"]);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /NotFound|not found/);

    // Namespace deletion finishes only through the namespace controller (controller-manager).
    const nsDeleted = waitForEvent(
      kc,
      "/api/v1/namespaces",
      { fieldSelector: `metadata.name=${ns}`, resourceVersion: created.metadata?.resourceVersion },
      (e) => e.type === "DELETED",
      60_000,
    );
    await core.deleteNamespace({ name: ns });
    assert.equal((await nsDeleted).object.metadata?.name, ns);
  });

  it("serves aggregated discovery (apidiscovery.k8s.io/v2) including APIServices", async () => {
    const accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
    const res = await httpCall(`${cp.server}/apis`, {
      ca: readFileSync(cp.caFile),
      token: cp.token,
      headers: { accept },
    });
    assert.equal(res.status, 200, res.body.slice(0, 500));
    const list = JSON.parse(res.body) as { kind: string; items: { metadata: { name: string } }[] };
    assert.equal(list.kind, "APIGroupDiscoveryList");
    const groups = list.items.map((g) => g.metadata.name);
    for (const g of ["apps", "apiregistration.k8s.io", "apiextensions.k8s.io", "rbac.authorization.k8s.io"]) {
      assert.ok(groups.includes(g), `${g} missing from ${groups.join(",")}`);
    }
    const apiservices = await cp.kubectl(["get", "apiservices", "-o", "name"]);
    assert.equal(apiservices.code, 0, apiservices.stderr);
    assert.match(apiservices.stdout, /apiservice.apiregistration.k8s.io\/v1.apps/);
  });

  it("runs controllers: a Deployment gets a ReplicaSet and Pods", async () => {
    const kc = cp.kubeConfig();
    const apps = kc.makeApiClient(AppsV1Api);
    const deployNs = uniquePrefix("deploy");
    await cp.kubectl(["create", "namespace", deployNs]);
    try {
      const podSeen = waitForEvent(
        kc,
        `/api/v1/namespaces/${deployNs}/pods`,
        { labelSelector: "app=web" },
        (e) => e.type === "ADDED",
        60_000,
      );
      await apps.createNamespacedDeployment({
        namespace: deployNs,
        body: {
          metadata: { name: "web" },
          spec: {
            replicas: 2,
            selector: { matchLabels: { app: "web" } },
            template: {
              metadata: { labels: { app: "web" } },
              spec: { containers: [{ name: "web", image: "registry.invalid/web:1" }] },
            },
          },
        },
      });
      const pod = await podSeen;
      const owner = (pod.object.metadata as { ownerReferences?: { kind: string }[] }).ownerReferences?.[0];
      assert.equal(owner?.kind, "ReplicaSet");
      const rs = await apps.listNamespacedReplicaSet({ namespace: deployNs });
      assert.equal(rs.items.length, 1);
    } finally {
      await cp.kubectl(["delete", "namespace", deployNs, "--wait=false"]);
    }
  });
});
