import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { WatchMessage } from "@shiplog/core";
import { configMapAt, configMapSync } from "./testing/messages.js";
import { planWindow } from "./window-plan.js";
import type { TreeListing } from "./window-plan.js";

function listing(files: string[]): TreeListing {
  return {
    fileNames: (dir) =>
      Promise.resolve(
        files
          .filter((f) => f.slice(0, f.lastIndexOf("/")) === dir)
          .map((f) => f.slice(f.lastIndexOf("/") + 1)),
      ),
    dirNames: (dir) =>
      Promise.resolve([
        ...new Set(
          files
            .filter((f) => dir === "" || f.startsWith(`${dir}/`))
            .map((f) => (dir === "" ? f : f.slice(dir.length + 1)).split("/"))
            .filter((parts) => parts.length > 1)
            .map((parts) => parts[0] ?? ""),
        ),
      ]),
  };
}

const items = (msgs: WatchMessage[]) => msgs.map((message, seq) => ({ seq, message }));

describe("planWindow", () => {
  it("collapses several events for one object to the last state and counts them", async () => {
    const plan = await planWindow(
      items([
        configMapAt("a/configmaps/x.yaml", "added", "1"),
        configMapAt("a/configmaps/x.yaml", "modified", "2"),
        configMapAt("a/configmaps/x.yaml", "modified", "3"),
      ]),
      listing([]),
    );
    assert.equal(plan.changes.length, 1);
    assert.equal(plan.changes[0]?.updates, 3);
    assert.equal(plan.changes[0]?.last?.content, "3");
  });

  it("applies messages in queue order even when they arrive out of order", async () => {
    const msgs = items([
      configMapAt("a/configmaps/x.yaml", "modified", "new"),
      configMapAt("a/configmaps/x.yaml", "modified", "old"),
    ]);
    const reordered = [
      { ...msgs[1]!, seq: 1 },
      { ...msgs[0]!, seq: 2 },
    ];
    const plan = await planWindow(reordered, listing([]));
    assert.equal(plan.changes[0]?.last?.content, "new");
  });

  it("a sync deletes files of its type missing from the key set, in every namespace", async () => {
    const tree = listing([
      "a/configmaps/keep.yaml",
      "a/configmaps/gone.yaml",
      "b/configmaps/gone2.yaml",
      "a/secrets/s.yaml",
      "_cluster/nodes/n.yaml",
    ]);
    const plan = await planWindow(items([configMapSync(["a/configmaps/keep.yaml"])]), tree);
    const vanished = plan.changes
      .filter((c) => c.vanished)
      .map((c) => c.path)
      .sort();
    assert.deepEqual(vanished, ["a/configmaps/gone.yaml", "b/configmaps/gone2.yaml"]);
  });

  it("a sync respects namespace scope and later re-creations in the same window", async () => {
    const tree = listing(["a/configmaps/gone.yaml", "b/configmaps/other.yaml"]);
    const plan = await planWindow(
      items([configMapSync([], ["a"]), configMapAt("a/configmaps/gone.yaml", "added", "back")]),
      tree,
    );
    assert.equal(plan.changes.length, 1);
    assert.equal(plan.changes[0]?.deleted, false);
    assert.equal(plan.changes[0]?.last?.content, "back");
  });

  it("skips malformed messages with a reason instead of failing the window", async () => {
    const bad = { ...configMapAt("../etc/passwd", "added", "x") };
    const noContent = { ...configMapAt("a/configmaps/y.yaml", "added") };
    const plan = await planWindow(
      items([bad, noContent, configMapAt("a/configmaps/ok.yaml", "added", "ok")]),
      listing([]),
    );
    assert.equal(plan.changes.length, 1);
    assert.equal(plan.skipped.length, 2);
    assert.match(plan.skipped[0]?.reason ?? "", /change\.path/);
    assert.match(plan.skipped[1]?.reason ?? "", /change\.content/);
  });
});
