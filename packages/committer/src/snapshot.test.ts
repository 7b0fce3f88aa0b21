import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { openRepo } from "./git/repo.js";
import { commitSnapshot, SnapshotWriter } from "./snapshot.js";
import { git, gitFiles, gitLog, tempDir } from "./testing/fixtures.js";
import { configMap, configMapAt, configMapSync } from "./testing/messages.js";

describe("commitSnapshot (no Redis)", () => {
  it("writes one shiplog commit for a full listing and reconciles vanished files", async () => {
    using dir = tempDir("snapshot");
    const path = join(dir.path, "s.git");
    const repo = await openRepo({ path });
    const a = configMap("ns", "a", { v: "1" }, { op: "listed", manager: "helm" });
    const b = configMap("ns", "b", { v: "1" }, { op: "listed", manager: "kubectl-edit" });
    const first = await commitSnapshot(repo, {
      cluster: "c",
      messages: [a, b, configMapSync([a.path, b.path])],
    });
    assert.equal(first.commit?.changes.length, 2);
    assert.equal(gitLog(path).length, 1);
    assert.equal(gitLog(path)[0]?.an, "shiplog");

    const again = await commitSnapshot(repo, {
      cluster: "c",
      messages: [a, b, configMapSync([a.path, b.path])],
    });
    assert.equal(again.commit, undefined, "an identical listing commits nothing");
    assert.equal(again.unchanged, 2);

    const a2 = configMap("ns", "a", { v: "2" }, { op: "listed" });
    const third = await commitSnapshot(repo, { cluster: "c", messages: [a2, configMapSync([a2.path])] });
    assert.deepEqual(third.commit?.changes.map((ch) => [ch.op, ch.name, ch.vanished ?? false]).sort(), [
      ["delete", "b", true],
      ["update", "a", false],
    ]);
    assert.deepEqual([...gitFiles(path).keys()], ["ns/configmaps/a.yaml"]);
    git(path, "fsck", "--strict");
    repo.close();
  });

  it("streams a large listing into packfiles as it comes, one commit in the end", async () => {
    using dir = tempDir("snapshot-stream");
    const path = join(dir.path, "s.git");
    const repo = await openRepo({ path });
    const writer = await SnapshotWriter.start(repo, { cluster: "c", flushBytes: 32 * 1024 });
    const listed = Array.from({ length: 1_000 }, (_, i) =>
      configMap("ns", `o-${i}`, { v: `${i}`, pad: "x".repeat(100) }, { op: "listed" }),
    );
    const packs = (): number =>
      readdirSync(join(path, "objects", "pack")).filter((f) => f.endsWith(".pack")).length;
    for (const m of listed.slice(0, 500)) await writer.add(m);
    assert.ok(packs() >= 2, "content is written while the listing goes on, not held until the end");
    for (const m of listed.slice(500)) await writer.add(m);
    await writer.add(configMapSync(listed.map((m) => m.path)));
    const result = await writer.finish();
    assert.equal(result.commit?.changes.length, 1_000);
    assert.equal(gitLog(path).length, 1);
    const files = gitFiles(path);
    assert.equal(files.size, 1_000);
    assert.equal(files.get("ns/configmaps/o-7.yaml"), listed[7]?.content);
    git(path, "fsck", "--strict");
    repo.close();
  });

  it("a branch that moved during the listing: compared again with the new head, committed on top", async () => {
    using dir = tempDir("snapshot-moved");
    const path = join(dir.path, "s.git");
    const repo = await openRepo({ path });
    const other = await openRepo({ path });
    const a = configMap("ns", "a", { v: "1" }, { op: "listed" });
    const b = configMap("ns", "b", { v: "1" }, { op: "listed" });
    const c = configMap("ns", "c", { v: "1" }, { op: "listed" });
    await commitSnapshot(repo, {
      cluster: "c",
      messages: [configMap("ns", "a", { v: "0" }, { op: "listed" })],
    });

    const writer = await SnapshotWriter.start(repo, { cluster: "c" });
    await writer.add(a);
    await writer.add(b);
    // meanwhile a committer records a's new state and creates c
    const moved = await commitSnapshot(other, { cluster: "c", messages: [a, c] });
    await writer.add(configMapSync([a.path, b.path]));
    const result = await writer.finish();

    assert.equal(git(path, "rev-parse", "main^").trim(), moved.commit?.sha, "built on the moved head");
    assert.deepEqual(result.commit?.changes.map((ch) => [ch.op, ch.name, ch.vanished ?? false]).sort(), [
      ["create", "b", false],
      ["delete", "c", true],
    ]);
    assert.deepEqual([...gitFiles(path).keys()].sort(), ["ns/configmaps/a.yaml", "ns/configmaps/b.yaml"]);
    git(path, "fsck", "--strict");
    other.close();
    repo.close();
  });

  it("a malformed listed object is skipped with its reason; the rest is committed", async () => {
    using dir = tempDir("snapshot-bad");
    const path = join(dir.path, "s.git");
    const repo = await openRepo({ path });
    const good = configMap("ns", "good", { v: "1" }, { op: "listed" });
    const result = await commitSnapshot(repo, {
      cluster: "c",
      messages: [configMapAt("ns/configmaps/../x.yaml", "listed", "a: 1\n"), good],
    });
    assert.deepEqual(
      result.skipped.map((s) => s.seq),
      [0],
    );
    assert.match(result.skipped[0]?.reason ?? "", /path segment \.\./);
    assert.deepEqual([...gitFiles(path).keys()], ["ns/configmaps/good.yaml"]);
    repo.close();
  });
});
