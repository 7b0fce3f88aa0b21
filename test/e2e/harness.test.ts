// The harness's own guarantees, on a private control plane: audit webhook delivery, RBAC users,
// etcd compaction (410 Gone), apiserver restart on the same etcd, and a stop() that leaves nothing.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { after, before, describe, it } from "node:test";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { startControlPlane, uniquePrefix, waitForEvent, type ControlPlane } from "../harness/index.js";
import type { LocalControlPlane } from "../harness/control-plane.js";
import { groupAlive } from "../harness/processes.js";

interface AuditEvent {
  verb: string;
  user: { username: string };
  objectRef?: { resource?: string; namespace?: string; name?: string };
}

describe("harness: private control plane", () => {
  let cp: ControlPlane;
  let sink: Server;
  const audit: AuditEvent[] = [];
  const ns = uniquePrefix("harness");

  before(async (t) => {
    sink = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const list = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { items?: AuditEvent[] };
        audit.push(...(list.items ?? []));
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => sink.listen(0, "127.0.0.1", r));
    const addr = sink.address();
    assert.ok(addr && typeof addr === "object");
    cp = await startControlPlane({
      auditWebhookUrl: `http://127.0.0.1:${addr.port}/audit`,
      // No watch cache for configmaps: watches go to etcd, so compaction shows up as 410 Gone.
      watchCacheSizes: { configmaps: 0 },
    });
    t.diagnostic(`private control plane (etcd + apiserver) started in ${(cp.startupMs / 1000).toFixed(1)}s`);
    const created = await cp.kubectl(["create", "namespace", ns]);
    assert.equal(created.code, 0, created.stderr);
  });

  after(async () => {
    await cp?.stop();
    sink?.close();
  });

  it("delivers audit events to the webhook URL", async () => {
    const r = await cp.kubectl(["create", "configmap", "audited", "-n", ns, "--from-literal=a=b"]);
    assert.equal(r.code, 0, r.stderr);
    const deadline = Date.now() + 20_000;
    const hit = (): AuditEvent | undefined =>
      audit.find(
        (e) =>
          e.verb === "create" && e.objectRef?.resource === "configmaps" && e.objectRef.name === "audited",
      );
    while (!hit() && Date.now() < deadline) await new Promise((res) => setTimeout(res, 200));
    const ev = hit();
    assert.ok(ev, `no audit event for the create; got ${audit.length} events`);
    assert.equal(ev.user.username, "shiplog-admin");
    assert.equal(ev.objectRef?.namespace, ns);
  });

  it("userKubeconfig() users are subject to RBAC", async () => {
    const user = uniquePrefix("alice");
    const path = await cp.userKubeconfig(user, ["shiplog-testers"]);
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    const core = kc.makeApiClient(CoreV1Api);
    await assert.rejects(core.listNamespacedConfigMap({ namespace: ns }), (err: unknown) => {
      assert.equal((err as { code?: number }).code, 403);
      return true;
    });
    const whoami = await cp.kubectl(["auth", "can-i", "list", "configmaps", "-n", ns], { asUser: user });
    assert.equal(whoami.stdout.trim(), "no");
    // Grant the group read access (an explicit Role: the aggregated "view" ClusterRole has no rules
    // without the controller-manager's aggregation controller); the user can list now.
    const role = await cp.kubectl([
      "create",
      "role",
      "cm-reader",
      "-n",
      ns,
      "--verb=get,list",
      "--resource=configmaps",
    ]);
    assert.equal(role.code, 0, role.stderr);
    const rb = await cp.kubectl([
      "create", "rolebinding", "testers-read", "-n", ns, "--role=cm-reader", "--group=shiplog-testers",
    ]); // prettier-ignore
    assert.equal(rb.code, 0, rb.stderr);
    // The authorizer reads RBAC objects from an informer: allow it a moment to see the binding.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const can = await cp.kubectl(["auth", "can-i", "list", "configmaps", "-n", ns], {
        asUser: user,
        asGroups: ["shiplog-testers"],
      });
      if (can.stdout.trim() === "yes") break;
      assert.ok(Date.now() < deadline, `binding not effective after 10s: ${can.stdout} ${can.stderr}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    const list = await core.listNamespacedConfigMap({ namespace: ns });
    assert.ok(
      list.items.some((c) => c.metadata?.name === "kube-root-ca.crt" || c.metadata?.name === "audited"),
    );
  });

  it("compactEtcd() makes an old resourceVersion answer 410 Gone", async () => {
    const core = cp.kubeConfig().makeApiClient(CoreV1Api);
    const first = await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: "compacted" }, data: { v: "1" } },
    });
    const oldRv = first.metadata?.resourceVersion;
    assert.ok(oldRv);
    // Two more writes, so the compaction revision is beyond oldRv + 1. (Compacting to exactly oldRv + 1
    // makes the apiserver answer a watch from oldRv with 500 "PrevKv=nil" instead of 410: the event
    // itself survives, its previous value does not.)
    let rv: string | undefined = oldRv;
    for (const v of ["2", "3"]) {
      const updated = await core.replaceNamespacedConfigMap({
        name: "compacted",
        namespace: ns,
        body: { metadata: { name: "compacted", resourceVersion: rv }, data: { v } },
      });
      rv = updated.metadata?.resourceVersion;
    }
    const { revision } = await cp.compactEtcd();
    assert.ok(revision > Number(oldRv) + 1, `compacted to ${revision}, old rv ${oldRv}`);
    const ev = await waitForEvent(
      cp.kubeConfig(),
      `/api/v1/namespaces/${ns}/configmaps`,
      { resourceVersion: oldRv },
      (e) => e.type === "ERROR",
    );
    assert.equal(ev.object.code, 410, JSON.stringify(ev.object));
  });

  it("restartApiserver() brings up a new apiserver process on the same etcd", async () => {
    const local = cp as LocalControlPlane;
    const before = local.pids();
    await local.restartApiserver();
    const afterPids = local.pids();
    assert.notEqual(afterPids.apiserver, before.apiserver);
    assert.equal(afterPids.etcd, before.etcd);
    assert.equal(groupAlive(before.apiserver), false);
    const r = await cp.kubectl(["get", "configmap", "compacted", "-n", ns, "-o", "jsonpath={.data.v}"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "3");
  });

  it("stop() leaves no processes and no data directory, and is idempotent", async () => {
    const local = cp as LocalControlPlane;
    const pids = Object.values(local.pids());
    assert.ok(pids.length >= 3, "etcd, apiserver and the reaper");
    for (const pid of pids) assert.ok(existsSync(`/proc/${pid}`), `pid ${pid} should be running`);
    await cp.stop();
    for (const pid of pids) assert.equal(groupAlive(pid), false, `process group ${pid} still alive`);
    // Nothing of ours is left running anywhere (matched by the data dir on the command line).
    const leftovers = readdirSync("/proc")
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, "utf8").includes(cp.dataDir);
        } catch (err) {
          if ((err as { code?: string }).code === "ENOENT") return false; // exited while we looked
          throw err;
        }
      });
    assert.deepEqual(leftovers, []);
    assert.equal(existsSync(cp.dataDir), false);
    await cp.stop();
  });
});
