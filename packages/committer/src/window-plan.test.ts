import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { WatchMessage } from "@shiplog/core";
import { syncMessages, typesMessage } from "@shiplog/core";
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

  it("a split key set: each part deletes only within its range, in whatever windows the parts land", async () => {
    const files = Array.from(
      { length: 300 },
      (_, i) => `ns${i % 3}/configmaps/cm-${String(i).padStart(3, "0")}.yaml`,
    );
    const gone = new Set(files.filter((_, i) => i % 10 === 0));
    const live = files.filter((f) => !gone.has(f));
    const parts = syncMessages({ ...configMapSync([]), paths: live }, 1024);
    assert.ok(parts.length > 3, `${parts.length} parts`);
    const tree = listing([...files, "a/secrets/s.yaml"]);
    // all parts in one window
    const whole = await planWindow(items(parts), tree);
    assert.deepEqual(whole.changes.map((c) => c.path).sort(), [...gone].sort());
    assert.ok(whole.changes.every((c) => c.vanished));
    // each part alone (a window cut between parts) deletes exactly the vanished files of its range
    const one = await Promise.all(parts.map((p) => planWindow(items([p]), tree)));
    assert.deepEqual(one.flatMap((pl) => pl.changes.map((c) => c.path)).sort(), [...gone].sort());
  });

  it("skips a sync whose range is malformed", async () => {
    const bad = { ...configMapSync([]), range: { from: 7 } } as unknown as WatchMessage;
    const plan = await planWindow(items([bad]), listing(["a/configmaps/x.yaml"]));
    assert.equal(plan.changes.length, 0);
    assert.match(plan.skipped[0]?.reason ?? "", /sync.range/);
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

  describe("types messages", () => {
    const tree = listing([
      "README.md",
      "docs/notes.md",
      ".github/workflows/ci.yaml",
      "a/configmaps/keep.yaml",
      "a/widgets.example.com/w1.yaml",
      "b/widgets.example.com/w2.yaml",
      "_cluster/clusterwidgets.example.com/cw.yaml",
      "a/secrets/s.yaml",
      "a/pods.metrics.k8s.io/p.yaml",
      "a/leases.coordination.k8s.io/l.yaml",
    ]);
    const at = "2026-01-01T00:00:01.000Z";
    const gone = (plan: Awaited<ReturnType<typeof planWindow>>) =>
      plan.changes
        .filter((c) => c.deleted)
        .map((c) => `${c.path} ${c.typeGone ?? "-"}`)
        .sort();

    it("deletes every file of a type the API no longer serves, and of a type config excludes", async () => {
      const plan = await planWindow(
        items([
          typesMessage({
            // leases is recorded although forbidden (403): a reflector runs for it, so it keeps its files
            recorded: ["configmaps", "leases.coordination.k8s.io"],
            excluded: ["secrets"],
            unavailableGroups: ["metrics.k8s.io"],
            observedAt: at,
          }),
        ]),
        tree,
      );
      assert.deepEqual(gone(plan), [
        "_cluster/clusterwidgets.example.com/cw.yaml removed",
        "a/secrets/s.yaml excluded",
        "a/widgets.example.com/w1.yaml removed",
        "b/widgets.example.com/w2.yaml removed",
      ]);
      assert.ok(plan.changes.every((c) => !c.vanished && c.last === undefined));
      assert.equal(plan.skipped.length, 0);
    });

    it("keeps files shiplog did not write, and types of groups whose discovery failed", async () => {
      const plan = await planWindow(
        items([
          typesMessage({
            recorded: ["nodes"],
            excluded: [],
            unavailableGroups: ["", "example.com"],
            observedAt: at,
          }),
        ]),
        tree,
      );
      assert.deepEqual(gone(plan), [
        "a/leases.coordination.k8s.io/l.yaml removed",
        "a/pods.metrics.k8s.io/p.yaml removed",
      ]);
    });

    it("applies in queue order: a file created before the message goes, one created after stays", async () => {
      const plan = await planWindow(
        items([
          configMapAt("a/configmaps/early.yaml", "added", "1"),
          typesMessage({ recorded: ["nodes"], excluded: ["configmaps"], observedAt: at }),
          configMapAt("a/configmaps/keep.yaml", "modified", "2"),
        ]),
        listing(["a/configmaps/keep.yaml"]),
      );
      const byPath = new Map(plan.changes.map((c) => [c.path, c]));
      assert.equal(byPath.get("a/configmaps/early.yaml")?.deleted, true);
      assert.equal(byPath.get("a/configmaps/early.yaml")?.typeGone, "excluded");
      assert.equal(byPath.get("a/configmaps/keep.yaml")?.deleted, false);
      assert.equal(byPath.get("a/configmaps/keep.yaml")?.typeGone, undefined);
    });

    it("is idempotent and ignores replays older than what is committed", async () => {
      const msg = typesMessage({ recorded: ["configmaps"], excluded: [], observedAt: at });
      const twice = await planWindow(items([msg, msg]), tree);
      assert.equal(twice.changes.filter((c) => c.deleted).length, 6);
      assert.ok(twice.changes.every((c) => c.updates === 1));
      const replay = await planWindow([{ seq: 3, message: msg }], tree, (p) =>
        p === "a/secrets/s.yaml" ? 7 : undefined,
      );
      assert.ok(!replay.changes.some((c) => c.path === "a/secrets/s.yaml"));
    });

    it("skips a types message that records nothing (a broken discovery) instead of emptying the repo", async () => {
      const plan = await planWindow(
        items([typesMessage({ recorded: [], excluded: [], observedAt: at })]),
        tree,
      );
      assert.equal(plan.changes.length, 0);
      assert.match(plan.skipped[0]?.reason ?? "", /types\.recorded is empty/);
    });
  });
});
