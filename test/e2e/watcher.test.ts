// The watcher against the shared real control plane (kube-apiserver + etcd + controller-manager) and a
// real Redis: built-in types created/updated/deleted, a CRD created at runtime, status-only updates
// dropped, and a type forbidden by RBAC while the rest keep flowing. Messages are read back from the
// BullMQ queue with a real Worker.
import type { WatchMessage } from "@shiplog/core";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { useCluster } from "./support/cluster.js";
import { until } from "./support/until.js";
import { isChange, isSync, metricValue, watchSession } from "./support/watcher.js";

const SECRET_VALUE = "plaintext-s3cr3t-value-that-must-never-leave";

const cluster = useCluster();
const { kubectl } = cluster;

describe("watcher e2e (shared control plane)", () => {
  it("records create/update/delete of built-in types and never lets a Secret value out", async () => {
    await using namespace = await cluster.namespace("watcher-crud");
    const ns = namespace.name;
    await using session = await watchSession(cluster.cp.kubeConfig(), cluster.redis, ns, {
      include: { resources: ["configmaps", "secrets", "deployments.apps"], namespaces: [ns] },
    });
    const { watcher: w, reader, lines } = session;
    await session.start();
    for (const t of ["configmaps", "secrets", "deployments.apps"]) {
      await reader.waitFor(isSync(t), 10_000, `sync of ${t}`);
    }
    const st = w.status();
    assert.deepEqual(st.types.map((t) => t.type).sort(), ["configmaps", "deployments.apps", "secrets"]);

    await kubectl(["-n", ns, "create", "configmap", "c1", "--from-literal=a=1"]);
    const added = await reader.waitFor(isChange("configmaps", "c1", "added"), 10_000, "c1 added");
    assert.equal(added.path, `${ns}/configmaps/c1.yaml`);
    assert.match(added.content ?? "", /a: "?1"?/);
    assert.equal(added.manager, "kubectl-create");

    await cluster.patch(ns, "configmap/c1", { data: { a: "2" } });
    const modified = await reader.waitFor(isChange("configmaps", "c1", "modified"), 10_000, "c1 modified");
    assert.match(modified.content ?? "", /a: "?2"?/);
    assert.notEqual(modified.contentHash, added.contentHash);

    await cluster.createSecret(ns, "s1", { password: SECRET_VALUE });
    await reader.waitFor(isChange("secrets", "s1", "added"), 10_000, "s1 added");
    await kubectl(["-n", ns, "delete", "secret", "s1"]);
    await reader.waitFor(isChange("secrets", "s1", "deleted"), 10_000, "s1 deleted");

    // A status-only update (what controllers write all day) is dropped: core strips status. Only a
    // condition is written, so it stays valid whatever a running deployment controller put in status.
    await kubectl(["-n", ns, "create", "deployment", "web", "--image=registry.invalid/web:1"]);
    await reader.waitFor(isChange("deployments.apps", "web", "added"), 10_000, "web added");
    const mark = reader.messages.length;
    const condition = { type: "ShiplogTest", status: "True", reason: "Test" };
    await cluster.patch(
      ns,
      "deployment/web",
      { status: { conditions: [condition] } },
      { subresource: "status" },
    );
    await until(
      "the status-only update counted as unchanged",
      10_000,
      async () => (await metricValue(w.metrics.unchanged, { type: "deployments.apps" })) > 0,
    );
    await kubectl(["-n", ns, "scale", "deployment", "web", "--replicas=3"]);
    // With a controller-manager, the deployment controller's revision annotation is a modification of
    // its own before (or after) the scale: wait for the message that carries the new replica count.
    const scaledChange = isChange("deployments.apps", "web", "modified");
    const scaled = await reader.waitFor(
      (m): m is Extract<WatchMessage, { kind: "change" }> =>
        scaledChange(m) && /replicas: 3/.test(m.content ?? ""),
      10_000,
      "web scaled",
      mark,
    );
    assert.match(scaled.content ?? "", /replicas: 3/);

    await kubectl(["-n", ns, "delete", "configmap", "c1"]);
    const deleted = await reader.waitFor(isChange("configmaps", "c1", "deleted"), 10_000, "c1 deleted");
    assert.equal(deleted.path, `${ns}/configmaps/c1.yaml`);
    assert.equal(deleted.content, undefined);

    // No plaintext Secret value in any message or log line.
    const b64 = Buffer.from(SECRET_VALUE).toString("base64");
    const everything = JSON.stringify(reader.messages) + JSON.stringify(lines);
    assert.ok(!everything.includes(SECRET_VALUE), "plaintext secret value leaked");
    assert.ok(!everything.includes(b64), "base64 secret value leaked");
    assert.equal(await metricValue(w.metrics.dropped), 0);
  });

  it("lists by streaming (sendInitialEvents) against the real apiserver and sends what a paginated list sends", async () => {
    await using namespace = await cluster.namespace("watcher-stream");
    const ns = namespace.name;
    for (let i = 0; i < 7; i++) {
      await kubectl(["-n", ns, "create", "configmap", `c${i}`, `--from-literal=k=${i}`]);
    }
    await cluster.createSecret(ns, "s0", { password: SECRET_VALUE });
    const include = { resources: ["configmaps", "secrets"], namespaces: [ns] };
    // kube-root-ca.crt is the controller-manager's, and may appear between the two lists
    const ours = (line: string): boolean => !line.includes("kube-root-ca.crt");
    // pageSize 3: the paginated list needs several pages, the stream pauses every 3 objects
    const listed = async (streamingLists: boolean) => {
      await using session = await watchSession(
        cluster.cp.kubeConfig(),
        cluster.redis,
        `${ns}-${streamingLists}`,
        {
          include,
          pageSize: 3,
          streamingLists,
        },
      );
      await session.start();
      for (const t of ["configmaps", "secrets"])
        await session.reader.waitFor(isSync(t), 10_000, `sync of ${t}`);
      const w = session.watcher;
      return {
        streamed: await metricValue(w.metrics.streamingLists, { outcome: "streamed" }),
        fallback: await metricValue(w.metrics.streamingLists, { outcome: "fallback" }),
        changes: session.reader.messages
          .flatMap((m) => (m.kind === "change" ? [`${m.op} ${m.path} ${m.contentHash ?? ""}`] : []))
          .filter(ours)
          .sort(),
        syncs: session.reader.messages
          .flatMap((m) => (m.kind === "sync" ? [`${m.type}: ${m.paths.filter(ours).join(",")}`] : []))
          .sort(),
        everything: JSON.stringify(session.reader.messages) + JSON.stringify(session.lines),
      };
    };
    const pages = await listed(false);
    const stream = await listed(true);
    assert.equal(stream.fallback, 0, "this apiserver (v1.36) offers streaming lists");
    assert.equal(stream.streamed, 2, "both types were listed by streaming");
    assert.equal(pages.streamed + pages.fallback, 0);
    assert.equal(stream.changes.length, 8);
    assert.deepEqual(stream.changes, pages.changes);
    assert.deepEqual(stream.syncs, pages.syncs);
    assert.ok(!stream.everything.includes(SECRET_VALUE), "plaintext secret value leaked");
  });

  it("watches a CRD created at runtime within 5 s of it being established, and stops when it goes", async () => {
    await using namespace = await cluster.namespace("watcher-crd");
    const ns = namespace.name;
    const group = `${ns}.example.com`;
    const typeId = `widgets.${group}`;
    await using _crd = cluster.cleanup("crd", typeId);
    await using session = await watchSession(cluster.cp.kubeConfig(), cluster.redis, ns, {
      include: { groups: [group] },
    });
    const { watcher: w, reader } = session;
    const crd = {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: typeId },
      spec: {
        group,
        scope: "Namespaced",
        names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
        versions: [
          {
            name: "v1",
            served: true,
            storage: true,
            subresources: { status: {} },
            schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
          },
        ],
      },
    };
    await session.start();
    assert.equal(w.status().types.length, 0);

    await kubectl(["apply", "-f", "-"], JSON.stringify(crd));
    await kubectl(["wait", "--for=condition=Established", `crd/${typeId}`, "--timeout=30s"]);
    const established = Date.now();
    await until(`${typeId} watched`, 5000, () => w.status().types.some((t) => t.type === typeId && t.synced));
    const watchedAfterMs = Date.now() - established;

    const widget = {
      apiVersion: `${group}/v1`,
      kind: "Widget",
      metadata: { name: "w1", namespace: ns },
      spec: { size: 1 },
    };
    await until("the apiserver to accept Widgets", 10_000, async () => {
      const r = await cluster.cp.kubectl(["apply", "-f", "-"], { input: JSON.stringify(widget) });
      return r.code === 0;
    });
    const first = await reader.waitFor(
      (m) =>
        m.kind === "change" &&
        m.type === typeId &&
        m.key.name === "w1" &&
        (m.op === "added" || m.op === "listed"),
      5000,
      "w1 recorded",
    );
    assert.equal(first.kind === "change" ? first.path : "", `${ns}/${typeId}/w1.yaml`);

    // A status-only update is dropped; the spec change after it is recorded.
    const before = reader.messages.length;
    await cluster.patch(ns, `${typeId}/w1`, { status: { phase: "Ready" } }, { subresource: "status" });
    await cluster.patch(ns, `${typeId}/w1`, { spec: { size: 2 } });
    const mod = await reader.waitFor(isChange(typeId, "w1", "modified"), 10_000, "w1 spec change", before);
    assert.match(mod.content ?? "", /size: 2/);
    assert.equal(reader.messages.slice(before).filter(isChange(typeId, "w1", "modified")).length, 1);
    assert.ok((await metricValue(w.metrics.unchanged, { type: typeId })) >= 1);

    await kubectl(["delete", "crd", typeId]);
    await until(
      `${typeId} reflector stopped`,
      15_000,
      () => !w.status().types.some((t) => t.type === typeId),
    );
    console.log(`# CRD watched ${watchedAfterMs} ms after Established`);
  });

  it("keeps recording other types while one is forbidden by RBAC, and logs the 403 once", async () => {
    await using namespace = await cluster.namespace("watcher-rbac");
    const ns = namespace.name;
    const user = `${ns}-user`;
    const readRule = (apiGroup: string, resources: string[]) => ({
      apiGroups: [apiGroup],
      resources,
      verbs: ["get", "list", "watch"],
    });
    const role = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: ns },
      rules: [
        readRule("", ["configmaps", "namespaces"]),
        readRule("apiextensions.k8s.io", ["customresourcedefinitions"]),
        readRule("apiregistration.k8s.io", ["apiservices"]),
      ],
    };
    const binding = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: ns },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: ns },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user }],
    };
    await using _rbac = cluster.cleanup("clusterrolebinding,clusterrole", ns);
    await kubectl(
      ["apply", "-f", "-"],
      JSON.stringify({ apiVersion: "v1", kind: "List", items: [role, binding] }),
    );
    const kc = new KubeConfig();
    kc.loadFromFile(await cluster.cp.userKubeconfig(user));
    await using session = await watchSession(kc, cluster.redis, ns, {
      include: { resources: ["configmaps", "secrets"], namespaces: [ns] },
    });
    const { watcher: w, reader, lines } = session;
    await session.start();
    const byType = new Map(w.status().types.map((t) => [t.type, t]));
    assert.equal(byType.get("secrets")?.state, "forbidden");
    assert.equal(byType.get("configmaps")?.synced, true);

    await kubectl(["-n", ns, "create", "configmap", "allowed", "--from-literal=k=v"]);
    await reader.waitFor(isChange("configmaps", "allowed", "added"), 10_000, "allowed configmap");
    await until(
      "a few retries of the forbidden type",
      15_000,
      async () => (await metricValue(w.metrics.errors, { type: "secrets", kind: "forbidden" })) >= 3,
    );
    const forbiddenLogs = lines.filter(
      (l) => l.msg.startsWith("forbidden") && (l.obj as { type?: string }).type === "secrets",
    );
    assert.equal(forbiddenLogs.length, 1);
    assert.equal(
      reader.messages.some((m) => m.kind !== "types" && m.type === "secrets"),
      false,
    );
  });
});
