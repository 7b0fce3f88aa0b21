// The e2e fixture module (e2e/support/*) on the shared control plane: useCluster's hooks, kubectl that
// rejects on a failure, a namespace that is deleted when its block ends, best-effort cleanup, merge
// patches and Secrets, CLI sandboxes, git repos for a test to start from, and until().
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { useCluster } from "./support/cluster.js";
import { commitFiles, fileAt, git } from "./support/git.js";
import { until } from "./support/until.js";

describe("e2e support", () => {
  const cluster = useCluster();

  it("kubectl helpers, and a namespace that is deleted when its block ends", async () => {
    let name: string;
    {
      await using ns = await cluster.namespace("support");
      name = ns.name;
      assert.match(name, /^t-support-[0-9a-f]{8}$/);
      await cluster.kubectl(["-n", name, "create", "configmap", "c", "--from-literal=a=1"]);
      await cluster.patch(name, "configmap/c", { data: { a: "2" } }, { fieldManager: "support-test" });
      const cm = JSON.parse(
        await cluster.kubectl(["-n", name, "get", "configmap", "c", "-o", "json", "--show-managed-fields"]),
      ) as {
        data: Record<string, string>;
        metadata: { managedFields: { manager: string }[] };
      };
      assert.equal(cm.data["a"], "2");
      assert.ok(cm.metadata.managedFields.some((f) => f.manager === "support-test"));
      await cluster.createSecret(name, "s", { password: "pw-1", user: "u" });
      const pw = await cluster.kubectl(["-n", name, "get", "secret", "s", "-o", "jsonpath={.data.password}"]);
      assert.equal(Buffer.from(pw, "base64").toString("utf8"), "pw-1");
      await assert.rejects(
        cluster.kubectl(["-n", name, "get", "configmap", "nope"]),
        /get configmap nope failed/,
      );
      await using _never = cluster.cleanup("-n", name, "configmap", "never-created"); // must not throw
    }
    const r = await cluster.cp.kubectl(["get", "namespace", name, "-o", "jsonpath={.status.phase}"]);
    assert.ok(r.code !== 0 || r.stdout === "Terminating", `namespace ${name}: ${r.stdout}${r.stderr}`);
  });

  it("a CLI sandbox points at this control plane and Redis, with its own prefix", () => {
    const sb = cluster.sandbox("support");
    assert.equal(sb.env["SHIPLOG_REDIS_URL"], cluster.redis.url);
    assert.equal(sb.env["SHIPLOG_KUBECONFIG"], cluster.cp.kubeconfigPath);
    assert.equal(sb.env["SHIPLOG_REDIS_PREFIX"], sb.prefix);
    assert.match(sb.prefix, /^t-cli-support-[0-9a-f]{8}$/);
    assert.equal(
      cluster.sandbox("support", "redis://127.0.0.1:1").env["SHIPLOG_REDIS_URL"],
      "redis://127.0.0.1:1",
    );
  });

  it("commitFiles creates the repo once and commits on main", async () => {
    const repo = join(mkdtempSync(join(tmpdir(), "shiplog-support-")), "repo");
    try {
      await commitFiles(repo, { "a/b.yaml": "one\n" }, "first");
      await commitFiles(repo, { "a/b.yaml": "two\n", "c.yaml": "three\n" }, "second");
      assert.equal(await fileAt(repo, "a/b.yaml"), "two\n");
      assert.equal(await fileAt(repo, "a/b.yaml", "main~1"), "one\n");
      assert.equal(await fileAt(repo, "nope.yaml"), undefined);
      assert.equal((await git(repo, ["log", "--format=%an|%s", "main"])).stdout, "t|second\nt|first\n");
    } finally {
      rmSync(join(repo, ".."), { recursive: true, force: true });
    }
  });

  it("until resolves with the first value that is neither undefined nor false, else names what it waited for", async () => {
    let n = 0;
    assert.equal(await until("n to reach 3", 5000, () => (++n >= 3 ? n : undefined), { intervalMs: 1 }), 3);
    assert.equal(await until("an empty string counts", 1000, () => ""), "");
    await assert.rejects(
      until("Godot", 50, () => false, { detail: () => "nobody came" }),
      /^Error: timed out after 50 ms waiting for Godot; nobody came$/,
    );
  });
});
