import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { openRepo } from "./git/repo.js";
import { commitSnapshot } from "./snapshot.js";
import { foreignCommit, git, gitFiles, gitLog, tempDir, waitFor } from "./testing/fixtures.js";
import { configMap } from "./testing/messages.js";
import { prefixesDroppedAfter, startTestCommitter } from "./testing/start.js";

const prefix = prefixesDroppedAfter();

/** A committer on `repo` that has made one commit (ns/a) and holds an open window (ns/b). */
async function withOpenWindow(
  repo: string,
  name: string,
): Promise<Awaited<ReturnType<typeof startTestCommitter>>> {
  const t = await startTestCommitter(repo, prefix(name), { quietPeriodMs: 1500, maxWindowMs: 8000 });
  await t.producer.send(configMap("ns", "a", { v: "1" }, { op: "added", manager: "helm" }));
  await waitFor("first commit", () => gitLog(repo).length === 1);
  await t.producer.send(configMap("ns", "b", { v: "1" }, { op: "added", manager: "helm" }));
  await waitFor("window open", () => t.committer.status().windowEvents >= 1);
  return t;
}

describe("the branch moves under an open window (promise: no wedge, nobody's commit lost)", () => {
  it("rebuilds the window on a foreign commit, keeps its files, and keeps committing", async () => {
    using dir = tempDir("moved");
    const repo = join(dir.path, "r.git");
    await using t = await withOpenWindow(repo, "moved");
    const foreign = foreignCommit(repo, { "README.md": "kept\n" });
    await waitFor("window committed on top of the foreign commit", () => gitLog(repo).length === 3);
    const log = gitLog(repo);
    assert.match(log[0]?.body ?? "", /^create configmaps ns\/b\n/);
    assert.equal(git(repo, "rev-parse", "main^").trim(), foreign);
    assert.deepEqual([...gitFiles(repo).keys()].sort(), [
      "README.md",
      "ns/configmaps/a.yaml",
      "ns/configmaps/b.yaml",
    ]);
    assert.equal(gitFiles(repo).get("README.md"), "kept\n");

    await t.producer.send(configMap("ns", "c", { v: "1" }, { op: "added", manager: "helm" }));
    await waitFor("a later window commits", () => gitLog(repo).length === 4);
    // The ref moves on disk before the committer records its new head: wait for the record.
    const main = git(repo, "rev-parse", "main").trim();
    await waitFor("status shows the new head", () => t.committer.status().head === main);
    assert.ok(gitFiles(repo).has("README.md"));
    git(repo, "fsck", "--strict");
  });

  it("a snapshot during an open window does not stop later commits", async () => {
    using dir = tempDir("moved-snapshot");
    const repo = join(dir.path, "r.git");
    await using t = await withOpenWindow(repo, "moved-snapshot");

    const other = await openRepo({ path: repo });
    try {
      const snap = await commitSnapshot(other, {
        cluster: "c",
        messages: [configMap("ns", "snap", { v: "1" }, { op: "listed", manager: "helm" })],
      });
      assert.ok(snap.commit);
    } finally {
      other.close();
    }
    await waitFor("window committed after the snapshot", () => gitLog(repo).length === 3);
    assert.deepEqual([...gitFiles(repo).keys()].sort(), [
      "ns/configmaps/a.yaml",
      "ns/configmaps/b.yaml",
      "ns/configmaps/snap.yaml",
    ]);
    await t.producer.send(configMap("ns", "c", { v: "1" }, { op: "added", manager: "helm" }));
    await waitFor("a later window commits", () => gitLog(repo).length === 4);
    git(repo, "fsck", "--strict");
  });
});
