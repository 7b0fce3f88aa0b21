// The whole pipeline into chat: a kubectl change in the real control plane -> watcher -> Redis ->
// committer (real nodegit) -> notifier -> a Slack stand-in (a node:http receiver on loopback that
// records every request). Checks author, summary, diff, a commit link that names a real commit, and
// that a Secret's value never reaches the chat payload.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Committer } from "@shiplog/committer";
import { Defaults } from "@shiplog/core";
import { Notifier } from "@shiplog/notifier";
import { runOk } from "../harness/index.js";
import { useCluster } from "./support/cluster.js";
import { until } from "./support/until.js";
import { startWatcher } from "./support/watcher.js";

const SECRET_VALUE = "notifier-e2e-plaintext-value-never-in-chat";

interface Received {
  path: string;
  body: string;
}

const cluster = useCluster();
const { kubectl } = cluster;
let server: Server;
let base: string;
const received: Received[] = [];

/** The first request `find` picks, once it has arrived. */
function arrived(what: string, find: () => Received | undefined): Promise<Received> {
  return until(what, 60_000, find, { detail: () => `got ${received.length} requests` });
}

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ path: req.url ?? "/", body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("notifier e2e (control plane -> watcher -> committer -> notifier -> Slack receiver)", () => {
  it("posts who changed what, with the diff and a link to the real commit, and no Secret value", async () => {
    await using namespace = await cluster.namespace("notifier-e2e");
    const ns = namespace.name;
    const prefix = ns;
    const repo = mkdtempSync(join(tmpdir(), "shiplog-notifier-e2e-"));
    const { redis } = cluster;
    const connection = { host: redis.host, port: redis.port, maxRetriesPerRequest: null };
    const watcher = startWatcher(cluster.cp.kubeConfig(), redis, prefix, {
      include: { groups: [], resources: ["configmaps", "secrets"], namespaces: [ns] },
    });
    const committer = new Committer({
      repoPath: repo,
      cluster: "e2e",
      queue: { connection, prefix },
      quietPeriodMs: 500,
      maxWindowMs: 3000,
    });
    const notifier = new Notifier({
      queue: { connection, prefix },
      sinks: [
        {
          name: "slack",
          type: "slack",
          url: `${base}/slack`,
          routes: { namespaces: [ns], excludeAuthors: ["kube-controller-manager"] },
          rateLimit: { perMinute: 60, digestAfter: 20 },
          maxAttempts: Defaults.sinkMaxAttempts,
        },
      ],
      commitUrlTemplate: "https://git.example/acme/history/commit/{sha}",
    });
    try {
      await notifier.start();
      await committer.start();
      await watcher.start();
      await watcher.initialSyncDone();

      await kubectl(["-n", ns, "create", "configmap", "app-config", "--from-literal=level=info"]);
      // Its own window and commit first, so the patch below is an update by a different manager.
      await arrived("the ConfigMap creation in Slack", () =>
        received.find((r) => r.body.includes(`create configmaps ${ns}/app-config`)),
      );
      await cluster.patch(
        ns,
        "configmap/app-config",
        { data: { level: "debug" } },
        { fieldManager: "ops-alice" },
      );
      const update = await arrived("the ConfigMap update in Slack", () =>
        received.find((r) => r.body.includes("ops-alice") && r.body.includes("app-config")),
      );
      const payload = JSON.parse(update.body) as {
        text: string;
        blocks: Array<{ type: string; text?: { text: string } }>;
      };
      const all = JSON.stringify(payload);
      assert.match(payload.blocks[0]?.text?.text ?? "", /^ops-alice changed 1 object in e2e/);
      assert.ok(all.includes(`update configmaps ${ns}/app-config`), "names the object");
      assert.ok(all.includes("data.level info→debug"), "field-level summary");
      assert.ok(all.includes("-  level: info") && all.includes("+  level: debug"), "unified diff");
      const sha = /https:\/\/git\.example\/acme\/history\/commit\/([0-9a-f]{40})/.exec(all)?.[1];
      assert.ok(sha, "links to the commit");
      const type = await runOk("git", ["-C", repo, "cat-file", "-t", sha]);
      assert.equal(type.stdout.trim(), "commit", "the link names a commit in the repo");
      const files = await runOk("git", ["-C", repo, "show", "--name-only", "--format=%an", sha]);
      assert.match(files.stdout, new RegExp(`^ops-alice\\n[\\s\\S]*${ns}/configmaps/app-config\\.yaml`));

      await cluster.createSecret(ns, "db", { password: SECRET_VALUE });
      await arrived("the Secret in Slack", () =>
        received.find((r) => r.body.includes(`create secrets ${ns}/db`)),
      );
      const b64 = Buffer.from(SECRET_VALUE).toString("base64");
      for (const r of received) {
        assert.ok(!r.body.includes(SECRET_VALUE) && !r.body.includes(b64), "a Secret value reached chat");
      }
      assert.ok(
        received.some((r) => r.body.includes("shiplog:hmac-sha256:")),
        "the Secret shows as fingerprints",
      );
      assert.equal(
        await notifier.metrics.deliveries
          .get()
          .then((m) => m.values.filter((v) => v.labels["outcome"] === "dead").length),
        0,
      );
    } finally {
      await watcher.stop();
      await committer.stop();
      await notifier.stop();
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
