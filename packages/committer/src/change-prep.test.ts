import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { inflateSync } from "node:zlib";
import type { ChangeMessage } from "@shiplog/core";
import { summarizeChange, unifiedDiff } from "@shiplog/core";
import { ChangePrep } from "./change-prep.js";
import { objectId, PackTypes } from "./git/pack-writer.js";
import { waitFor } from "./testing/fixtures.js";
import { configMap } from "./testing/messages.js";

/** A committed tree of path -> content, with git's blob ids. */
function committed(files: Record<string, string>) {
  const byPath = new Map<string, string>();
  const byOid = new Map<string, Buffer>();
  for (const [path, text] of Object.entries(files)) {
    const data = Buffer.from(text);
    const oid = objectId(PackTypes.blob, data);
    byPath.set(path, oid);
    byOid.set(oid, data);
  }
  const reads: string[] = [];
  return {
    reads,
    byPath,
    tree: { fileOid: (path: string) => Promise.resolve(byPath.get(path)) },
    read: (oid: string) => {
      reads.push(oid);
      const data = byOid.get(oid);
      return data ? Promise.resolve(data) : Promise.reject(new Error(`no object ${oid}`));
    },
  };
}

/** For what must not happen: long enough for a few hundred preparations. */
const settle = () => new Promise((r) => setTimeout(r, 100));

describe("ChangePrep (updates worked out while a window is open)", () => {
  const before = configMap("ns", "web", { v: "1" }, { op: "added", manager: "helm" });
  const path = before.path;

  it("prepares an update as the commit would work it out, and only against the blob it compared", async () => {
    const repo = committed({ [path]: before.content ?? "" });
    const prep = new ChangePrep({ tree: repo.tree, read: repo.read, diffMaxLines: 100 });
    const update = configMap("ns", "web", { v: "2" }, { manager: "kubectl-edit" });
    prep.offer(update);
    const prevOid = repo.byPath.get(path);
    const p = await waitFor("prepared", () => prep.take(update, prevOid));
    assert.ok(p, "prepared");
    assert.equal(p.unchanged, false);
    assert.equal(p.summary, summarizeChange(before.content, update.content).summary);
    assert.equal(p.diff, unifiedDiff(before.content ?? "", update.content ?? "", path, { maxLines: 100 }));
    const data = Buffer.from(update.content ?? "");
    assert.equal(p.blob?.oid, objectId(PackTypes.blob, data));
    assert.equal(p.blob?.size, data.length);
    assert.deepEqual(inflateSync(p.blob?.deflated ?? Buffer.alloc(0)), data);
    assert.equal(prep.take(update, "0".repeat(40)), undefined, "the tree moved on: worked out again");
    assert.equal(prep.take(configMap("ns", "web", { v: "2" }), prevOid), undefined, "another message");
  });

  it("prepares nothing for creates, deletes and messages that are not changes; flags an unchanged one", async () => {
    const repo = committed({ [path]: before.content ?? "" });
    const prep = new ChangePrep({ tree: repo.tree, read: repo.read, diffMaxLines: 100 });
    const created = configMap("ns", "new", { v: "1" }, { op: "added" });
    const deleted: ChangeMessage = { ...before, op: "deleted", content: undefined };
    const relisted = configMap("ns", "web", { v: "1" }, { op: "listed", manager: "helm" });
    prep.offer(created);
    prep.offer(deleted);
    prep.offer({
      kind: "types",
      recorded: ["configmaps"],
      excluded: [],
      unavailableGroups: [],
      observedAt: before.observedAt,
    });
    prep.offer(relisted);
    const prevOid = repo.byPath.get(path);
    await waitFor("the last offer prepared", () => prep.take(relisted, prevOid));
    assert.equal(prep.take(created, undefined), undefined);
    assert.equal(prep.take(deleted, prevOid), undefined);
    assert.equal(prep.take(relisted, prevOid)?.unchanged, true, "same content as committed");
    assert.equal(repo.reads.length, 1, "only the relisted file was read");
  });

  it("clear drops what waits, and what is offered afterwards is still prepared", async () => {
    const files: Record<string, string> = {};
    const updates: ChangeMessage[] = [];
    for (let i = 0; i < 200; i++) {
      const m = configMap("ns", `m${i}`, { v: "1" }, { op: "added" });
      files[m.path] = m.content ?? "";
      updates.push(configMap("ns", `m${i}`, { v: "2" }));
    }
    const repo = committed(files);
    const prep = new ChangePrep({ tree: repo.tree, read: repo.read, diffMaxLines: 100 });
    for (const u of updates.slice(0, 100)) prep.offer(u);
    prep.clear(); // a window is being committed
    for (const u of updates.slice(100)) prep.offer(u);
    const last = updates[199];
    await waitFor("the last offer prepared", () => last && prep.take(last, repo.byPath.get(last.path)));
    const prepared = updates.map((u) => prep.take(u, repo.byPath.get(u.path)) !== undefined);
    assert.ok(prepared.slice(100).every(Boolean), "every later offer prepared, none skipped by the clear");
    assert.ok(
      prepared.slice(0, 100).every((p) => !p),
      "the dropped ones are worked out at commit instead",
    );
  });

  it("takes no offers past maxQueued or maxPreparedBytes, and a failed read only leaves the message unprepared", async () => {
    const repo = committed({ [path]: before.content ?? "" });
    const prevOid = repo.byPath.get(path);
    const capped = new ChangePrep({ tree: repo.tree, read: repo.read, diffMaxLines: 100, maxQueued: 1 });
    const a = configMap("ns", "web", { v: "2" });
    const b = configMap("ns", "web", { v: "3" });
    capped.offer(a);
    capped.offer(b);
    await waitFor("the first offer prepared", () => capped.take(a, prevOid));
    await settle();
    assert.equal(capped.take(b, prevOid), undefined, "over the bound: worked out at commit");

    const small = new ChangePrep({
      tree: repo.tree,
      read: repo.read,
      diffMaxLines: 100,
      maxPreparedBytes: 1,
    });
    small.offer(a);
    await waitFor("the first offer prepared", () => small.take(a, prevOid));
    small.offer(b);
    await settle();
    assert.equal(small.take(b, prevOid), undefined, "over the byte bound: worked out at commit");
    small.clear(); // the window was committed
    small.offer(b);
    await waitFor("prepared again in the next window", () => small.take(b, prevOid));

    const failing = new ChangePrep({
      tree: repo.tree,
      read: () => Promise.reject(new Error("odb gone")),
      diffMaxLines: 100,
    });
    failing.offer(a);
    await settle();
    assert.equal(failing.take(a, prevOid), undefined);
  });
});
