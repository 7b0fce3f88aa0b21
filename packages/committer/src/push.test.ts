import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { foreignCommit, git, gitFiles, gitHead, gitLog, tempDir, waitFor } from "./testing/fixtures.js";
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

  it("keeps a foreign commit on the remote, replays local commits on top, never forces", async () => {
    using dir = tempDir("push-diverged");
    const { local, remote } = repoAndRemote(dir.path);
    await using t = await startTestCommitter(local, prefix("push-diverged"), {
      remote: { url: remote, ...fastRetries },
    });
    const { logger, metrics, producer } = t;
    await producer.send(configMap("ns", "a", { v: "1" }, { op: "added", manager: "helm" }));
    await waitFor("first push", () => gitHead(remote) !== undefined && gitHead(remote) === gitHead(local));
    // Someone else pushes: a README of their own, and an edit of a file shiplog records.
    const foreign = foreignCommit(remote, {
      "README.md": "ours\n",
      "ns/configmaps/a.yaml": "edited: by hand\n",
    });

    await producer.send(configMap("ns", "a", { v: "2" }, { manager: "helm" }));
    await waitFor(
      "replayed and pushed",
      () => gitHead(remote) !== foreign && gitHead(remote) === gitHead(local),
      20000,
    );
    const head = gitHead(remote) ?? "";
    git(remote, "merge-base", "--is-ancestor", foreign, head); // throws unless foreign is kept
    const files = gitFiles(remote);
    assert.equal(files.get("README.md"), "ours\n");
    assert.match(files.get("ns/configmaps/a.yaml") ?? "", /v: "2"|v: '2'/, "the cluster's state wins");
    assert.match(
      gitLog(remote)[0]?.body ?? "",
      /Shiplog-Conflict: ns\/configmaps\/a\.yaml also changed on the remote/,
    );
    assert.equal(gitLog(remote)[0]?.an, "helm");
    assert.ok(logger.has(/replayed local commits/));
    // The remote's ref moves before the `git push` child exits; the gauge is reset once it has.
    await waitFor(
      "divergence cleared",
      async () => (await metrics.remoteDiverged.get()).values[0]?.value === 0,
    );

    // Pushing goes on.
    await producer.send(configMap("ns", "b", { v: "1" }, { op: "added", manager: "helm" }));
    await waitFor("later push", () => gitLog(remote).length === 4 && gitHead(remote) === gitHead(local));
    assert.ok(gitFiles(remote).has("README.md"));
    git(remote, "fsck", "--strict");
  });

  it("a lost local clone continues the remote's history and keeps pushing", async () => {
    using dir = tempDir("push-lost-clone");
    const { local, remote } = repoAndRemote(dir.path);
    {
      await using first = await startTestCommitter(local, prefix("push-lost-1"), {
        remote: { url: remote, ...fastRetries },
      });
      await first.producer.send(configMap("ns", "a", { v: "1" }, { op: "added", manager: "helm" }));
      await waitFor("first push", () => gitHead(remote) !== undefined && gitHead(remote) === gitHead(local));
    }
    const pushed = gitHead(remote) ?? "";
    rmSync(local, { recursive: true, force: true });

    await using t = await startTestCommitter(local, prefix("push-lost-2"), {
      remote: { url: remote, ...fastRetries },
    });
    await t.producer.send(configMap("ns", "b", { v: "1" }, { op: "added", manager: "kubectl-edit" }));
    await waitFor(
      "pushed after the restart",
      () => gitLog(remote).length === 2 && gitHead(remote) === gitHead(local),
    );
    git(remote, "merge-base", "--is-ancestor", pushed, gitHead(remote) ?? "");
    assert.deepEqual([...gitFiles(remote).keys()].sort(), ["ns/configmaps/a.yaml", "ns/configmaps/b.yaml"]);
    assert.equal(
      t.committer.status().push?.failures,
      0,
      "never rejected: history was continued, not restarted",
    );
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
