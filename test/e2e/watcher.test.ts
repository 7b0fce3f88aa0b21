// The watcher against the shared real control plane (kube-apiserver + etcd + controller-manager) and a
// real Redis: built-in types created/updated/deleted, a CRD created at runtime, status-only updates
// dropped, and a type forbidden by RBAC while the rest keep flowing. Messages are read back from the
// BullMQ queue with a real Worker.
import type { WatchMessage } from "@shiplog/core";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeConfig } from "@kubernetes/client-node";
import {
  sharedControlPlane,
  testRedis,
  uniquePrefix,
  type ControlPlane,
  type TestRedis,
} from "../harness/index.js";
import { captureLogger, isChange, isSync, QueueReader, startWatcher } from "./watcher-support.js";

const SECRET_VALUE = "plaintext-s3cr3t-value-that-must-never-leave";

let cp: ControlPlane;
let redis: TestRedis;

async function kubectl(args: string[], input?: string): Promise<string> {
  const r = await cp.kubectl(args, input !== undefined ? { input } : {});
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

async function until(
  what: string,
  timeoutMs: number,
  check: () => boolean | Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

before(async () => {
  cp = await sharedControlPlane();
  redis = await testRedis();
});

after(async () => {
  await redis.stop();
});

describe("watcher e2e (shared control plane)", () => {
  it("records create/update/delete of built-in types and never lets a Secret value out", async () => {
    const ns = uniquePrefix("watcher-crud");
    const prefix = uniquePrefix("watcher-crud");
    await kubectl(["create", "namespace", ns]);
    const reader = new QueueReader(redis, prefix);
    const { logger, lines } = captureLogger();
    const w = startWatcher(cp.kubeConfig(), redis, prefix, {
      include: { resources: ["configmaps", "secrets", "deployments.apps"], namespaces: [ns] },
      logger,
    });
    try {
      await w.start();
      await w.initialSyncDone();
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

      await kubectl(["-n", ns, "patch", "configmap", "c1", "--type=merge", "-p", '{"data":{"a":"2"}}']);
      const modified = await reader.waitFor(isChange("configmaps", "c1", "modified"), 10_000, "c1 modified");
      assert.match(modified.content ?? "", /a: "?2"?/);
      assert.notEqual(modified.contentHash, added.contentHash);

      await kubectl([
        "-n",
        ns,
        "create",
        "secret",
        "generic",
        "s1",
        `--from-literal=password=${SECRET_VALUE}`,
      ]);
      await reader.waitFor(isChange("secrets", "s1", "added"), 10_000, "s1 added");
      await kubectl(["-n", ns, "delete", "secret", "s1"]);
      await reader.waitFor(isChange("secrets", "s1", "deleted"), 10_000, "s1 deleted");

      // A status-only update (what controllers write all day) is dropped: core strips status. Only a
      // condition is written, so it stays valid whatever a running deployment controller put in status.
      await kubectl(["-n", ns, "create", "deployment", "web", "--image=registry.invalid/web:1"]);
      await reader.waitFor(isChange("deployments.apps", "web", "added"), 10_000, "web added");
      const mark = reader.messages.length;
      await kubectl([
        "-n", ns, "patch", "deployment", "web", "--subresource=status", "--type=merge",
        "-p", '{"status":{"conditions":[{"type":"ShiplogTest","status":"True","reason":"Test"}]}}',
      ]); // prettier-ignore
      await until(
        "the status-only update counted as unchanged",
        10_000,
        () => w.metrics.unchanged.get({ type: "deployments.apps" }) > 0,
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
      assert.equal(w.metrics.dropped.sum(), 0);
    } finally {
      await w.stop();
      await reader.close();
      await kubectl(["delete", "namespace", ns, "--wait=false"]);
    }
  });

  it("watches a CRD created at runtime within 5 s of it being established, and stops when it goes", async () => {
    const prefix = uniquePrefix("watcher-crd");
    const group = `${prefix}.example.com`;
    const ns = prefix;
    const typeId = `widgets.${group}`;
    await kubectl(["create", "namespace", ns]);
    const reader = new QueueReader(redis, prefix);
    const { logger } = captureLogger();
    const w = startWatcher(cp.kubeConfig(), redis, prefix, { include: { groups: [group] }, logger });
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
    try {
      await w.start();
      await w.initialSyncDone();
      assert.equal(w.status().types.length, 0);

      await kubectl(["apply", "-f", "-"], JSON.stringify(crd));
      await kubectl(["wait", "--for=condition=Established", `crd/${typeId}`, "--timeout=30s"]);
      const established = Date.now();
      await until(`${typeId} watched`, 5000, () =>
        w.status().types.some((t) => t.type === typeId && t.synced),
      );
      const watchedAfterMs = Date.now() - established;

      const widget = {
        apiVersion: `${group}/v1`,
        kind: "Widget",
        metadata: { name: "w1", namespace: ns },
        spec: { size: 1 },
      };
      await until("the apiserver to accept Widgets", 10_000, async () => {
        const r = await cp.kubectl(["apply", "-f", "-"], { input: JSON.stringify(widget) });
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
      await kubectl([
        "-n",
        ns,
        "patch",
        `widgets.${group}`,
        "w1",
        "--subresource=status",
        "--type=merge",
        "-p",
        '{"status":{"phase":"Ready"}}',
      ]);
      await kubectl([
        "-n",
        ns,
        "patch",
        `widgets.${group}`,
        "w1",
        "--type=merge",
        "-p",
        '{"spec":{"size":2}}',
      ]);
      const mod = await reader.waitFor(isChange(typeId, "w1", "modified"), 10_000, "w1 spec change", before);
      assert.match(mod.content ?? "", /size: 2/);
      assert.equal(reader.messages.slice(before).filter(isChange(typeId, "w1", "modified")).length, 1);
      assert.ok(w.metrics.unchanged.get({ type: typeId }) >= 1);

      await kubectl(["delete", "crd", typeId]);
      await until(
        `${typeId} reflector stopped`,
        15_000,
        () => !w.status().types.some((t) => t.type === typeId),
      );
      console.log(`# CRD watched ${watchedAfterMs} ms after Established`);
    } finally {
      await w.stop();
      await reader.close();
      await cp.kubectl(["delete", "crd", typeId, "--ignore-not-found", "--wait=false"]);
      await cp.kubectl(["delete", "namespace", ns, "--wait=false"]);
    }
  });

  it("keeps recording other types while one is forbidden by RBAC, and logs the 403 once", async () => {
    const prefix = uniquePrefix("watcher-rbac");
    const ns = prefix;
    const user = `${prefix}-user`;
    await kubectl(["create", "namespace", ns]);
    const role = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: prefix },
      rules: [
        { apiGroups: [""], resources: ["configmaps", "namespaces"], verbs: ["get", "list", "watch"] },
        {
          apiGroups: ["apiextensions.k8s.io"],
          resources: ["customresourcedefinitions"],
          verbs: ["get", "list", "watch"],
        },
        {
          apiGroups: ["apiregistration.k8s.io"],
          resources: ["apiservices"],
          verbs: ["get", "list", "watch"],
        },
      ],
    };
    const binding = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: prefix },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: prefix },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user }],
    };
    await kubectl(
      ["apply", "-f", "-"],
      JSON.stringify({ apiVersion: "v1", kind: "List", items: [role, binding] }),
    );
    const kc = new KubeConfig();
    kc.loadFromFile(await cp.userKubeconfig(user));
    const reader = new QueueReader(redis, prefix);
    const { logger, lines } = captureLogger();
    const w = startWatcher(kc, redis, prefix, {
      include: { resources: ["configmaps", "secrets"], namespaces: [ns] },
      logger,
    });
    try {
      await w.start();
      await w.initialSyncDone();
      const byType = new Map(w.status().types.map((t) => [t.type, t]));
      assert.equal(byType.get("secrets")?.state, "forbidden");
      assert.equal(byType.get("configmaps")?.synced, true);

      await kubectl(["-n", ns, "create", "configmap", "allowed", "--from-literal=k=v"]);
      await reader.waitFor(isChange("configmaps", "allowed", "added"), 10_000, "allowed configmap");
      await until(
        "a few retries of the forbidden type",
        15_000,
        () => w.metrics.errors.get({ type: "secrets", kind: "forbidden" }) >= 3,
      );
      const forbiddenLogs = lines.filter(
        (l) => l.msg.startsWith("forbidden") && (l.obj as { type?: string }).type === "secrets",
      );
      assert.equal(forbiddenLogs.length, 1);
      assert.equal(
        reader.messages.some((m) => m.type === "secrets"),
        false,
      );
    } finally {
      await w.stop();
      await reader.close();
      await cp.kubectl(["delete", "clusterrolebinding,clusterrole", prefix, "--ignore-not-found"]);
      await cp.kubectl(["delete", "namespace", ns, "--wait=false"]);
    }
  });
});
