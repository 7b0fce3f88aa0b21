import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import {
  configMap,
  dropPrefix,
  EventProducer,
  git,
  gitHead,
  gitLog,
  tempDir,
  uniquePrefix,
  waitFor,
} from "./testing/fixtures.js";
import { testCommitter } from "./testing/start.js";

const prefixes: string[] = [];
after(async () => {
  for (const p of prefixes) await dropPrefix(p);
});

function bareRemote(path: string): void {
  execFileSync("git", ["init", "--bare", "-q", "-b", "main", path]);
}

describe("push", () => {
  it("pushes commits to a bare remote, coalesced, without forcing", async () => {
    using dir = tempDir("push-bare");
    const local = join(dir.path, "local.git");
    const remote = join(dir.path, "remote.git");
    bareRemote(remote);
    const prefix = uniquePrefix("push-bare");
    prefixes.push(prefix);
    const producer = new EventProducer(prefix);
    const { committer, metrics } = testCommitter(local, prefix, {
      remote: { url: remote, pushIntervalMs: 100 },
    });
    await committer.start();
    try {
      await producer.send(configMap("ns", "a", { v: "1" }, { op: "added", manager: "helm" }));
      await waitFor("first push", () => gitHead(remote) !== undefined && gitHead(remote) === gitHead(local));
      await producer.send(
        configMap("ns", "a", { v: "2" }, { manager: "helm" }),
        configMap("ns", "b", { v: "1" }, { op: "added", manager: "kubectl-edit" }),
      );
      await waitFor("second push", () => gitLog(local).length === 3 && gitHead(remote) === gitHead(local));
      assert.deepEqual(
        gitLog(remote).map((c) => c.sha),
        gitLog(local).map((c) => c.sha),
      );
      git(remote, "fsck", "--strict");
      const ok = (await metrics.pushes.get()).values.find((v) => v.labels["result"] === "ok")?.value ?? 0;
      assert.ok(ok >= 1 && ok <= 3, `pushes are per burst, not per object (${ok})`);
    } finally {
      await committer.stop();
      await producer.close();
    }
  });

  it("keeps committing while the remote is down and pushes everything when it is back", async () => {
    using dir = tempDir("push-down");
    const local = join(dir.path, "local.git");
    const remote = join(dir.path, "later.git");
    const prefix = uniquePrefix("push-down");
    prefixes.push(prefix);
    const producer = new EventProducer(prefix);
    const { committer } = testCommitter(local, prefix, {
      remote: { url: remote, pushIntervalMs: 50, retryBaseMs: 100, retryMaxMs: 400 },
    });
    await committer.start();
    try {
      for (let i = 0; i < 3; i++) {
        await producer.send(configMap("ns", `o${i}`, { v: String(i) }, { op: "added", manager: `m${i}` }));
        await waitFor(`commit ${i}`, () => gitLog(local).length === i + 1);
      }
      await waitFor("push failures recorded", () => (committer.status().push?.failures ?? 0) >= 2);
      assert.equal(committer.status().push?.state, "retrying");
      bareRemote(remote);
      await waitFor("remote caught up", () => gitHead(remote) === gitHead(local), 20000);
      assert.equal(gitLog(remote).length, 3);
    } finally {
      await committer.stop();
      await producer.close();
    }
  });

  it("stops pushing, loudly, when the remote has diverged, and keeps local history", async () => {
    using dir = tempDir("push-diverged");
    const local = join(dir.path, "local.git");
    const remote = join(dir.path, "remote.git");
    bareRemote(remote);
    const prefix = uniquePrefix("push-diverged");
    prefixes.push(prefix);
    const producer = new EventProducer(prefix);
    const { committer, logger, metrics } = testCommitter(local, prefix, {
      remote: { url: remote, pushIntervalMs: 50, retryBaseMs: 100, retryMaxMs: 400 },
    });
    await committer.start();
    try {
      await producer.send(configMap("ns", "a", { v: "1" }, { op: "added", manager: "helm" }));
      await waitFor("first push", () => gitHead(remote) !== undefined && gitHead(remote) === gitHead(local));
      // Someone else pushes to the remote branch.
      const base = gitHead(remote) ?? "";
      const tree = git(remote, "rev-parse", `${base}^{tree}`).trim();
      const foreign = execFileSync(
        "git",
        ["--git-dir", remote, "commit-tree", tree, "-p", base, "-m", "manual edit"],
        {
          encoding: "utf8",
          env: {
            ...process.env,
            GIT_AUTHOR_NAME: "someone",
            GIT_AUTHOR_EMAIL: "s@x",
            GIT_COMMITTER_NAME: "someone",
            GIT_COMMITTER_EMAIL: "s@x",
          },
        },
      ).trim();
      git(remote, "update-ref", "refs/heads/main", foreign, base);

      await producer.send(configMap("ns", "a", { v: "2" }, { manager: "helm" }));
      await waitFor("diverged", () => committer.status().push?.state === "diverged");
      assert.ok(logger.lines.some((l) => l.level === "error" && /REMOTE HAS DIVERGED/.test(l.msg ?? "")));
      assert.equal((await metrics.remoteDiverged.get()).values[0]?.value, 1);
      assert.equal(gitHead(remote), foreign, "never force-pushed");
      // Local history continues.
      await producer.send(configMap("ns", "a", { v: "3" }, { manager: "helm" }));
      await waitFor("local keeps committing", () => gitLog(local).length === 3);
      assert.equal(gitHead(remote), foreign);
    } finally {
      await committer.stop();
      await producer.close();
    }
  });
});
