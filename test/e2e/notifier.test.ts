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
import { setTimeout as sleep } from "node:timers/promises";
import { Committer } from "@shiplog/committer";
import { Notifier } from "@shiplog/notifier";
import {
  runOk,
  sharedControlPlane,
  testRedis,
  uniquePrefix,
  type ControlPlane,
  type TestRedis,
} from "../harness/index.js";
import { startWatcher } from "./watcher-support.js";

const SECRET_VALUE = "notifier-e2e-plaintext-value-never-in-chat";

interface Received {
  path: string;
  body: string;
}

let cp: ControlPlane;
let redis: TestRedis;
let server: Server;
let base: string;
const received: Received[] = [];

async function kubectl(args: string[]): Promise<string> {
  const r = await cp.kubectl(args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

async function until<T>(what: string, timeoutMs: number, find: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${received.length} requests`);
    }
    await sleep(100);
  }
}

before(async () => {
  cp = await sharedControlPlane();
  redis = await testRedis();
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
  await redis.stop();
});

describe("notifier e2e (control plane -> watcher -> committer -> notifier -> Slack receiver)", () => {
  it("posts who changed what, with the diff and a link to the real commit, and no Secret value", async () => {
    const ns = uniquePrefix("notifier-e2e");
    const prefix = uniquePrefix("notifier-e2e");
    const repo = mkdtempSync(join(tmpdir(), "shiplog-notifier-e2e-"));
    const connection = { host: redis.host, port: redis.port, maxRetriesPerRequest: null };
    await kubectl(["create", "namespace", ns]);
    const watcher = startWatcher(cp.kubeConfig(), redis, prefix, {
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
      await until("the ConfigMap creation in Slack", 60_000, () =>
        received.find((r) => r.body.includes(`create configmaps ${ns}/app-config`)),
      );
      await kubectl([
        "-n",
        ns,
        "patch",
        "configmap",
        "app-config",
        "--type=merge",
        "--field-manager=ops-alice",
        "-p",
        '{"data":{"level":"debug"}}',
      ]);
      const update = await until("the ConfigMap update in Slack", 60_000, () =>
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

      await kubectl([
        "-n",
        ns,
        "create",
        "secret",
        "generic",
        "db",
        `--from-literal=password=${SECRET_VALUE}`,
      ]);
      await until("the Secret in Slack", 60_000, () =>
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
      await kubectl(["delete", "namespace", ns, "--wait=false"]);
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
