import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { git, gitHead, gitLog, tempDir, waitFor } from "./testing/fixtures.js";
import { configMap } from "./testing/messages.js";
import { prefixesDroppedAfter, startTestCommitter } from "./testing/start.js";

const prefix = prefixesDroppedAfter();

function bareRemote(path: string): void {
  execFileSync("git", ["init", "--bare", "-q", "-b", "main", path]);
}

/** Paths of the committer's repository and of its remote in `dir`; the remote exists unless `absent`. */
function repoAndRemote(dir: string, absent = false): { local: string; remote: string } {
  const remote = join(dir, "remote.git");
  if (!absent) bareRemote(remote);
  return { local: join(dir, "local.git"), remote };
}

/** Fast retries, so that a test sees several failures in a second. */
const fastRetries = { pushIntervalMs: 50, retryBaseMs: 100, retryMaxMs: 400 };

describe("push", () => {
  it("pushes commits to a bare remote, coalesced, without forcing", async () => {
    using dir = tempDir("push-bare");
    const { local, remote } = repoAndRemote(dir.path);
    await using t = await startTestCommitter(local, prefix("push-bare"), {
      remote: { url: remote, pushIntervalMs: 100 },
    });
    const { metrics, producer } = t;
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
  });

  it("keeps committing while the remote is down and pushes everything when it is back", async () => {
    using dir = tempDir("push-down");
    const { local, remote } = repoAndRemote(dir.path, true);
    await using t = await startTestCommitter(local, prefix("push-down"), {
      remote: { url: remote, ...fastRetries },
    });
    const { committer, producer } = t;
    for (let i = 0; i < 3; i++) {
      await producer.send(configMap("ns", `o${i}`, { v: String(i) }, { op: "added", manager: `m${i}` }));
      await waitFor(`commit ${i}`, () => gitLog(local).length === i + 1);
    }
    await waitFor("push failures recorded", () => (committer.status().push?.failures ?? 0) >= 2);
    assert.equal(committer.status().push?.state, "retrying");
    bareRemote(remote);
    await waitFor("remote caught up", () => gitHead(remote) === gitHead(local), 20000);
    assert.equal(gitLog(remote).length, 3);
  });

  it("stops pushing, loudly, when the remote has diverged, and keeps local history", async () => {
    using dir = tempDir("push-diverged");
    const { local, remote } = repoAndRemote(dir.path);
    await using t = await startTestCommitter(local, prefix("push-diverged"), {
      remote: { url: remote, ...fastRetries },
    });
    const { committer, logger, metrics, producer } = t;
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
  });

  it("masks the credentials of a remote URL in logs and in the push status", async () => {
    using dir = tempDir("push-masked");
    await using t = await startTestCommitter(join(dir.path, "local.git"), prefix("push-masked"), {
      remote: { url: "https://shiplog:s3cr3t-token@127.0.0.1:1/history.git", ...fastRetries },
    });
    const { committer, logger, producer } = t;
    await producer.send(configMap("ns", "a", { v: "1" }, { op: "added", manager: "helm" }));
    await waitFor("push failed", () => (committer.status().push?.failures ?? 0) >= 1);
    const logged = JSON.stringify(
      logger.lines.map((l) => ({ ...l, err: String((l.obj as { err?: unknown }).err) })),
    );
    assert.match(logged, /https:\/\/shiplog:\*{5}@127\.0\.0\.1:1\/history\.git/);
    assert.doesNotMatch(logged, /s3cr3t-token/);
    assert.doesNotMatch(committer.status().push?.lastError ?? "", /s3cr3t-token/);
  });
});
