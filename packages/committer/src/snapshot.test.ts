import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { openRepo } from "./git/repo.js";
import { commitSnapshot } from "./snapshot.js";
import { git, gitFiles, gitLog, tempDir } from "./testing/fixtures.js";
import { configMap, configMapSync } from "./testing/messages.js";

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
});
