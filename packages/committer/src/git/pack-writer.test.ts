import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { git, tempDir } from "../testing/fixtures.js";
import { PACK_MIN_OBJECTS, TREE_PACK_MIN_ENTRIES } from "./object-db.js";
import type { DirEntries } from "./tree-format.js";
import { FileModes } from "./tree-format.js";
import { ObjectTypes } from "./object-types.js";
import { objectId, PackTypes } from "./pack-writer.js";
import { openRepo } from "./repo.js";

describe("pack writer (many new blobs as one packfile)", () => {
  it("gives the ids git gives", async () => {
    using dir = tempDir("pack-id");
    const repo = await openRepo({ path: join(dir.path, "r.git") });
    for (const text of ["", "hello\n", "x".repeat(70_000)]) {
      const data = Buffer.from(text);
      assert.equal(objectId(PackTypes.blob, data), await repo.objects.write(ObjectTypes.blob, data));
    }
    repo.close();
  });

  it("writes a batch as one pack that libgit2 (already open) and the git CLI read, and fsck accepts", async () => {
    using dir = tempDir("pack");
    const path = join(dir.path, "r.git");
    const repo = await openRepo({ path });
    // Sizes that need 1, 2 and 3 size bytes in the entry header, binary content, and one duplicate.
    const blobs = Array.from({ length: PACK_MIN_OBJECTS + 72 }, (_, i) =>
      i === 7 ? Buffer.from([0, 255, 1, 254, 10, 13]) : Buffer.from(`object ${i}\n${"y".repeat(i * 97)}`),
    );
    blobs.push(Buffer.from(blobs[3] ?? ""));
    const ids = await repo.objects.writeBlobs(blobs);
    assert.equal(ids.length, blobs.length);
    const packs = readdirSync(join(path, "objects", "pack"));
    assert.equal(packs.filter((f) => f.endsWith(".pack")).length, 1, packs.join(" "));
    assert.equal(packs.filter((f) => f.endsWith(".idx")).length, 1, packs.join(" "));
    assert.equal(
      readdirSync(join(path, "objects")).filter((d) => /^[0-9a-f]{2}$/.test(d)).length,
      0,
      "no loose objects",
    );
    for (const [i, id] of ids.entries()) {
      assert.deepEqual(await repo.objects.read(id), blobs[i], `libgit2 reads blob ${i}`);
    }
    assert.equal(git(path, "cat-file", "-p", ids[7] ?? ""), Buffer.from([0, 255, 1, 254, 10, 13]).toString());
    // A tree and a commit over the packed blobs, then the whole repo checked by git.
    const tree = await repo.objects.writeTree(
      new Map(ids.slice(0, 20).map((oid, i) => [`f${i}`, { mode: "100644", oid }])),
    );
    const sig = { name: "a", email: "a@x", timeMs: 1_700_000_000_000 };
    const c = await repo.writeCommit({ tree, parents: [], author: sig, committer: sig, message: "packed" });
    await repo.updateRef(c, null, "packed");
    const pack = packs.find((f) => f.endsWith(".idx")) ?? "";
    git(path, "verify-pack", "-v", join(path, "objects", "pack", pack));
    git(path, "fsck", "--strict", "--no-dangling");
    repo.close();
  });

  it("writes a large new directory as a one-object pack with the id git mktree gives", async () => {
    using dir = tempDir("pack-tree");
    const path = join(dir.path, "r.git");
    const repo = await openRepo({ path });
    const n = TREE_PACK_MIN_ENTRIES + 5;
    const blobs = Array.from({ length: n }, (_, i) => Buffer.from(`file ${i}\n`));
    const ids = await repo.objects.writeBlobs(blobs);
    // names in an order git's tree order is not: "f-10.yaml" < "f-1.yaml" bytewise, a sub-tree "f-1"
    const entries: DirEntries = new Map(ids.map((oid, i) => [`f-${i}.yaml`, { mode: FileModes.blob, oid }]));
    const sub = await repo.objects.writeTree(new Map([["x", { mode: FileModes.blob, oid: ids[0] ?? "" }]]));
    entries.set("f-1", { mode: FileModes.tree, oid: sub });
    const tree = await repo.objects.writeTree(entries);
    const mktree = [...entries]
      .map(([name, e]) => `${e.mode === FileModes.tree ? "040000 tree" : "100644 blob"} ${e.oid}\t${name}`)
      .join("\n");
    const expected = execFileSync("git", ["--git-dir", path, "mktree"], {
      input: `${mktree}\n`,
      encoding: "utf8",
    });
    assert.equal(tree, expected.trim());
    const sig = { name: "t", email: "t@example.com", timeMs: 1_700_000_000_000 };
    const c = await repo.writeCommit({ tree, parents: [], author: sig, committer: sig, message: "big dir" });
    assert.equal(git(path, "ls-tree", c).trim().split("\n").length, n + 1);
    git(path, "fsck", "--strict", "--no-dangling");
    // a commit with a message of over 1 MiB (a first snapshot's) goes into a pack as well
    const message = `many lines\n\n${Array.from({ length: 30_000 }, (_, i) => `- create f-${i}.yaml: created`).join("\n")}\n`;
    const big = await repo.writeCommit({ tree, parents: [c], author: sig, committer: sig, message });
    assert.equal(git(path, "log", "-1", "--format=%B", big), `${message}\n`);
    assert.equal(git(path, "rev-parse", `${big}^`).trim(), c);
    git(path, "fsck", "--strict", "--no-dangling", big);
    repo.close();
  });

  it("writes a large directory that changed as one loose object, which git and the open libgit2 read", async () => {
    using dir = tempDir("loose-tree");
    const path = join(dir.path, "r.git");
    const repo = await openRepo({ path });
    const n = TREE_PACK_MIN_ENTRIES + 5;
    const ids = await repo.objects.writeBlobs(
      Array.from({ length: n }, (_, i) => Buffer.from(`file ${i}\n`)),
    );
    const before: DirEntries = new Map(ids.map((oid, i) => [`f-${i}.yaml`, { mode: FileModes.blob, oid }]));
    const first = await repo.objects.writeTree(before);
    const after: DirEntries = new Map(before);
    after.delete("f-3.yaml");
    after.set("f-new.yaml", { mode: FileModes.blob, oid: ids[0] ?? "" });
    const packsBefore = readdirSync(join(path, "objects", "pack")).length;
    const tree = await repo.objects.writeTree(after, { oid: first, entries: before });
    assert.equal(readdirSync(join(path, "objects", "pack")).length, packsBefore, "no new pack");
    assert.equal(git(path, "cat-file", "-t", tree).trim(), "tree");
    const mktree = [...after].map(([name, e]) => `100644 blob ${e.oid}\t${name}`).join("\n");
    const expected = execFileSync("git", ["--git-dir", path, "mktree"], {
      input: `${mktree}\n`,
      encoding: "utf8",
    });
    assert.equal(tree, expected.trim());
    assert.equal(
      (await repo.objects.read(tree)).length,
      Number(git(path, "cat-file", "-s", tree).trim()),
      "libgit2 reads it",
    );
    assert.equal(await repo.objects.writeTree(after, { oid: first, entries: before }), tree, "written once");
    git(path, "fsck", "--strict", "--no-dangling", tree);
    repo.close();
  });

  it("writes a small batch as loose objects through libgit2", async () => {
    using dir = tempDir("pack-small");
    const path = join(dir.path, "r.git");
    const repo = await openRepo({ path });
    const ids = await repo.objects.writeBlobs([Buffer.from("a\n"), Buffer.from("b\n")]);
    assert.deepEqual(ids, [
      objectId(PackTypes.blob, Buffer.from("a\n")),
      objectId(PackTypes.blob, Buffer.from("b\n")),
    ]);
    assert.deepEqual(readdirSync(join(path, "objects", "pack")), []);
    repo.close();
  });
});
