// The watcher surviving what a cluster does to it, on a private control plane (so that restarts and
// etcd compaction affect no other test) and private Redis servers: an apiserver restart mid-watch, a
// 410 after compaction that relists and detects deletions made meanwhile, and Redis gone for 30 s with
// no change lost. Messages are read back from the BullMQ queue with a real Worker.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeConfig } from "@kubernetes/client-node";
import type { KubeObject, WatchMessage } from "@shiplog/core";
import { typeId } from "@shiplog/core";
import { listAll } from "@shiplog/watcher";
import { startControlPlane, startPrivateRedis } from "../harness/index.js";
import { useCluster } from "./support/cluster.js";
import { TestTypes } from "@shiplog/core/testing";
import { canonicalizer } from "./support/core.js";
import { until } from "./support/until.js";
import { CuttableProxy, isChange, isSync, metricValue, replay, watchSession } from "./support/watcher.js";

// No watch cache for ConfigMaps: watches go to etcd, so a compacted resourceVersion gets a real 410.
const cluster = useCluster({ controlPlane: () => startControlPlane({ watchCacheSizes: { configmaps: 0 } }) });
const { kubectl } = cluster;

/** path -> content hash of every ConfigMap in `ns`, as the committer should end up with. */
async function expectedConfigMaps(ns: string): Promise<Map<string, string>> {
  const list = JSON.parse(await kubectl(["-n", ns, "get", "configmaps", "-o", "json"])) as {
    items: KubeObject[];
  };
  const c = canonicalizer();
  const out = new Map<string, string>();
  for (const o of list.items) {
    const r = c.canonicalize(TestTypes.configmaps, o);
    if (!r.skipped) out.set(r.path, r.contentHash);
  }
  return out;
}

function configMapState(messages: readonly WatchMessage[]): Map<string, string> {
  return replay(messages.filter((m) => m.kind !== "types" && m.type === "configmaps"));
}

/** Watcher options that select the ConfigMaps of `ns` and nothing else. */
function configMapsOf(ns: string) {
  return { include: { resources: ["configmaps"], namespaces: [ns] } };
}

describe("watcher e2e (private control plane)", () => {
  it("listAll lists every wanted type once, page by page, with progress", async () => {
    await using namespace = await cluster.namespace("watcher-listall");
    const ns = namespace.name;
    for (const n of ["a", "b", "c"])
      await kubectl(["-n", ns, "create", "configmap", n, "--from-literal=k=1"]);
    const seen: string[] = [];
    const progress: number[] = [];
    const summary = await listAll(
      {
        kubeConfig: cluster.cp.kubeConfig(),
        include: { resources: ["configmaps", "namespaces"], namespaces: [ns] },
        pageSize: 2,
        onProgress: (p) => progress.push(p.typesDone),
      },
      (type, objects) => {
        for (const o of objects)
          seen.push(`${typeId(type)}/${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`);
      },
    );
    assert.deepEqual(
      seen.filter((s) => s.startsWith("configmaps/")).sort(),
      ["a", "b", "c"].map((n) => `configmaps/${ns}/${n}`),
    );
    assert.ok(seen.includes(`namespaces//${ns}`));
    assert.deepEqual(summary.types.map((t) => t.type).sort(), ["configmaps", "namespaces"]);
    assert.equal(summary.failed.length, 0);
    assert.equal(progress.at(-1), 2);
  });

  it("resumes after the apiserver restarts mid-watch", async () => {
    await using namespace = await cluster.namespace("watcher-restart");
    const ns = namespace.name;
    await using session = await watchSession(cluster.cp.kubeConfig(), cluster.redis, ns, configMapsOf(ns));
    const { watcher: w, reader } = session;
    await session.start();
    await kubectl(["-n", ns, "create", "configmap", "before", "--from-literal=k=1"]);
    await reader.waitFor(isChange("configmaps", "before", "added"), 10_000, "before added");

    await cluster.cp.restartApiserver();

    await kubectl(["-n", ns, "create", "configmap", "after", "--from-literal=k=1"]);
    await cluster.patch(ns, "configmap/before", { data: { k: "2" } });
    await reader.waitFor(isChange("configmaps", "after"), 60_000, "after recorded");
    await reader.waitFor(
      (m) =>
        m.kind === "change" &&
        m.key.name === "before" &&
        m.op !== "added" &&
        /k: "?2"?/.test(m.content ?? ""),
      60_000,
      "before's update recorded",
    );
    assert.ok(
      (await metricValue(w.metrics.errors, { type: "configmaps" })) >= 1,
      "the broken watch was counted",
    );
    const expected = await expectedConfigMaps(ns);
    await until("committer state matches the cluster", 30_000, () =>
      sameMap(configMapState(reader.messages), expected),
    );
  });

  it("relists on 410 after etcd compaction and detects deletions made meanwhile", async () => {
    await using namespace = await cluster.namespace("watcher-410");
    const ns = namespace.name;
    const proxy = await CuttableProxy.start(Number(new URL(cluster.cp.server).port));
    await using _proxy = { [Symbol.asyncDispose]: () => proxy.close() };
    const direct = cluster.cp.kubeConfig();
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: direct.clusters.map((c) => ({ ...c, server: `https://127.0.0.1:${proxy.port}` })),
      users: direct.users,
      contexts: direct.contexts,
      currentContext: direct.currentContext,
    });
    await using session = await watchSession(kc, cluster.redis, ns, configMapsOf(ns));
    const { watcher: w, reader } = session;
    await session.start();
    for (const n of ["keep", "doomed"])
      await kubectl(["-n", ns, "create", "configmap", n, "--from-literal=k=1"]);
    await reader.waitFor(isChange("configmaps", "doomed", "added"), 10_000, "doomed added");
    const expired = { type: "configmaps", reason: "expired" };
    const relistsBefore = await metricValue(w.metrics.relists, expired);

    // Cut the watcher off, change things, compact etcd past its resourceVersion, reconnect.
    proxy.pause();
    const cutAt = reader.messages.length;
    await kubectl(["-n", ns, "delete", "configmap", "doomed"]);
    await kubectl(["-n", ns, "create", "configmap", "born", "--from-literal=k=1"]);
    await cluster.patch(ns, "configmap/keep", { data: { k: "2" } });
    const { revision } = await cluster.cp.compactEtcd();
    assert.ok(revision > 0);
    proxy.resume();

    const sync = await reader.waitFor(isSync("configmaps"), 60_000, "sync after the relist", cutAt);
    assert.ok(!sync.paths.includes(`${ns}/configmaps/doomed.yaml`), "doomed is gone from the key set");
    assert.ok(sync.paths.includes(`${ns}/configmaps/born.yaml`));
    assert.ok(sync.paths.includes(`${ns}/configmaps/keep.yaml`));
    await reader.waitFor(isChange("configmaps", "doomed", "deleted"), 1000, "doomed reported deleted", cutAt);
    assert.ok((await metricValue(w.metrics.relists, expired)) > relistsBefore, "relisted because of 410");
    const expected = await expectedConfigMaps(ns);
    assert.ok(sameMap(configMapState(reader.messages), expected), "committer state matches the cluster");
  });

  it("loses no change while Redis is unavailable for 30 s", async () => {
    await using namespace = await cluster.namespace("watcher-redis");
    const ns = namespace.name;
    const priv = await startPrivateRedis({ persistent: true });
    await using _priv = { [Symbol.asyncDispose]: () => priv.stop() };
    // A small buffer so that the outage overflows it: the reflector must stop reading and relist.
    await using session = await watchSession(cluster.cp.kubeConfig(), priv, ns, {
      ...configMapsOf(ns),
      maxBuffered: 10,
      batchSize: 5,
    });
    const { watcher: w, reader, lines } = session;
    await session.start();
    await kubectl(["-n", ns, "create", "configmap", "c0", "--from-literal=k=0"]);
    await reader.waitFor(isChange("configmaps", "c0", "added"), 10_000, "c0 added");

    await priv.kill9();
    const downAt = Date.now();
    let i = 1;
    while (Date.now() - downAt < 30_000) {
      await kubectl(["-n", ns, "create", "configmap", `c${i}`, `--from-literal=k=${i}`]);
      if (i % 3 === 0) await cluster.patch(ns, `configmap/c${i - 1}`, { data: { k: `x${i}` } });
      if (i % 5 === 0) await kubectl(["-n", ns, "delete", "configmap", `c${i - 2}`]);
      i++;
      await sleep(500);
    }
    assert.ok(w.status().buffered > 0 || w.status().queueFailing, "the watcher noticed Redis was gone");
    await priv.restart();

    const expected = await expectedConfigMaps(ns);
    await until("committer state matches the cluster", 60_000, () =>
      sameMap(configMapState(reader.messages), expected),
    );
    assert.equal(await metricValue(w.metrics.dropped), 0, "nothing dropped");
    assert.ok(
      (await metricValue(w.metrics.relists, { type: "configmaps", reason: "queue-full" })) >= 1,
      "stopped reading and relisted",
    );
    assert.ok(
      lines.some((l) => l.msg.startsWith("queue unreachable")),
      "the outage was logged",
    );
    console.log(`# ${i} changes during the outage; ${reader.messages.length} messages read`);
  });
});

function sameMap(a: Map<string, string>, b: Map<string, string>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}
