import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { silentLogger } from "@shiplog/core";
import { shiplogAuthor } from "./attribution.js";
import { GitTransport } from "./git-transport.js";
import { openRepo } from "./git/repo.js";
import type { GitRepo } from "./git/repo.js";
import { RemoteSync } from "./remote-sync.js";
import { commitSnapshot } from "./snapshot.js";
import { foreignCommit, git, gitFiles, gitHead, gitLog, tempDir } from "./testing/fixtures.js";
import { configMap } from "./testing/messages.js";

/** A RemoteSync of `repo` against the bare repository at `remote`, and a way to close it. */
function syncOf(repo: GitRepo, remote: string): { sync: RemoteSync; close: () => void } {
  const transport = new GitTransport(
    { url: remote, pushIntervalMs: 1, retryBaseMs: 1, retryMaxMs: 1, timeoutMs: 30000 },
    repo.gitDir,
  );
  const sync = new RemoteSync(repo, transport, remote, shiplogAuthor("example.test"), Date.now, silentLogger);
  return {
    sync,
    close: () => {
      transport.close();
      repo.close();
    },
  };
}

describe("RemoteSync (real git, no Redis): continue the remote's history, never rewrite it", () => {
  it("reports an empty remote, fast-forwards an empty clone, and is then up to date", async () => {
    using dir = tempDir("rsync-ff");
    const remote = join(dir.path, "remote.git");
    execFileSync("git", ["init", "--bare", "-q", "-b", "main", remote]);
    const { sync: early, close: closeEarly } = syncOf(
      await openRepo({ path: join(dir.path, "early.git") }),
      remote,
    );
    assert.equal(await early.catchUp(), "remote-empty");
    closeEarly();

    const origin = await openRepo({ path: remote });
    await commitSnapshot(origin, {
      cluster: "c",
      messages: [configMap("ns", "a", { v: "1" }, { op: "listed" })],
    });
    origin.close();
    const local = await openRepo({ path: join(dir.path, "local.git") });
    const { sync, close } = syncOf(local, remote);
    try {
      assert.equal(await sync.catchUp(), "fast-forward");
      assert.equal(await local.head(), gitHead(remote));
      assert.equal(await sync.catchUp(), "up-to-date");
    } finally {
      close();
    }
  });

  it("replays a lost clone's root commit onto the remote: others' files kept, the cluster wins a conflict", async () => {
    using dir = tempDir("rsync-replay");
    const remote = join(dir.path, "remote.git");
    const origin = await openRepo({ path: remote });
    await commitSnapshot(origin, {
      cluster: "c",
      messages: [configMap("ns", "a", { v: "1" }, { op: "listed" })],
    });
    origin.close();
    const foreign = foreignCommit(remote, { "README.md": "theirs\n" });

    // The remote was unreachable when this clone started: it committed a root commit of its own.
    const localPath = join(dir.path, "local.git");
    const local = await openRepo({ path: localPath });
    await commitSnapshot(local, {
      cluster: "c",
      messages: [
        configMap("ns", "a", { v: "2" }, { op: "listed", manager: "helm" }),
        configMap("ns", "b", { v: "1" }, { op: "listed", manager: "helm" }),
      ],
    });
    const { sync, close } = syncOf(local, remote);
    try {
      assert.equal(await sync.catchUp(), "rebased");
      assert.equal(git(localPath, "rev-parse", "main^").trim(), foreign);
      const files = gitFiles(localPath);
      assert.deepEqual([...files.keys()].sort(), [
        "README.md",
        "ns/configmaps/a.yaml",
        "ns/configmaps/b.yaml",
      ]);
      assert.equal(files.get("README.md"), "theirs\n");
      assert.match(files.get("ns/configmaps/a.yaml") ?? "", /v: "2"/);
      const [top] = gitLog(localPath);
      assert.match(top?.body ?? "", /Shiplog-Conflict: ns\/configmaps\/a\.yaml also changed on the remote/);
      assert.doesNotMatch(top?.body ?? "", /Shiplog-Conflict: ns\/configmaps\/b\.yaml/);
      assert.equal(top?.cn, "shiplog");
      assert.equal(gitHead(remote), foreign, "the remote is never written by a catch-up");
      assert.equal(await sync.catchUp(), "up-to-date");
      git(localPath, "fsck", "--strict");
    } finally {
      close();
    }
  });
});
