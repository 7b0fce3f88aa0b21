import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { GitCliObjects } from "../testing/git-cli-objects.js";
import { git, tempDir } from "../testing/fixtures.js";
import { decodeTree, encodeTree, FileModes } from "./tree-format.js";
import { TreeStore } from "./tree-store.js";

function initBare(path: string): void {
  execFileSync("git", ["init", "--bare", "-q", path]);
}

describe("tree encoding", () => {
  it("matches git mktree, including git's directory sort order", async () => {
    using dir = tempDir("mktree");
    initBare(dir.path);
    const objects = new GitCliObjects(dir.path);
    const blob = await objects.write(3, Buffer.from("x\n"));
    const sub = await objects.write(2, encodeTree(new Map([["f", { mode: FileModes.blob, oid: blob }]])));
    // "a.b" < "a/" < "a0" in git order: a directory named "a" sorts between them.
    const entries = new Map([
      ["a0", { mode: FileModes.blob, oid: blob }],
      ["a", { mode: FileModes.tree, oid: sub }],
      ["a.b", { mode: FileModes.blob, oid: blob }],
      ["%41", { mode: FileModes.blob, oid: blob }],
      // UTF-16 order differs from git's UTF-8 byte order here: U+1F600 (a surrogate pair) sorts after U+E000
      ["x\u{1F600}", { mode: FileModes.blob, oid: blob }],
      ["x\uE000", { mode: FileModes.blob, oid: blob }],
      ["x\uFFFD", { mode: FileModes.tree, oid: sub }],
      ["x\u00E9", { mode: FileModes.blob, oid: blob }],
    ]);
    const ours = await objects.write(2, encodeTree(entries));
    const mktreeInput = [...entries]
      .map(([name, e]) => `${e.mode === FileModes.tree ? "040000 tree" : "100644 blob"} ${e.oid}\t${name}`)
      .join("\n");
    const theirs = execFileSync("git", ["--git-dir", dir.path, "mktree"], {
      input: `${mktreeInput}\n`,
      encoding: "utf8",
    }).trim();
    assert.equal(ours, theirs);
  });
});

describe("tree decoding", () => {
  it("returns what was encoded, for the two modes the committer writes and any other", () => {
    const oid = fc.stringMatching(/^[0-9a-f]{40}$/);
    const mode = fc.constantFrom(
      FileModes.blob,
      FileModes.tree,
      "100755",
      "120000",
      "160000",
      "10064",
      "1006440",
    );
    const name = fc.string({ minLength: 1, maxLength: 12 }).filter((n) => !/[/\0]/.test(n));
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(name, mode, oid), { selector: ([n]) => n, maxLength: 20 }),
        (list) => {
          const entries = new Map(list.map(([n, m, o]) => [n, { mode: m, oid: o }]));
          assert.deepEqual(decodeTree(encodeTree(entries)), entries);
        },
      ),
    );
  });
});

describe("TreeStore", () => {
  it("rewrites only the trees along changed paths and produces what git would", async () => {
    using dir = tempDir("treestore");
    initBare(dir.path);
    const objects = new GitCliObjects(dir.path);
    const store = new TreeStore(objects, null);
    const b1 = await objects.write(3, Buffer.from("one\n"));
    const b2 = await objects.write(3, Buffer.from("two\n"));
    const s1 = await store.stage(
      new Map([
        ["ns1/configmaps/a.yaml", b1],
        ["ns1/configmaps/b.yaml", b1],
        ["ns2/secrets/c.yaml", b2],
      ]),
    );
    store.adopt(s1);
    const listing = git(dir.path, "ls-tree", "-r", s1.rootOid);
    assert.match(listing, /ns1\/configmaps\/a\.yaml/);
    assert.match(listing, /ns2\/secrets\/c\.yaml/);
    const ns2Before = git(dir.path, "rev-parse", `${s1.rootOid}:ns2`).trim();

    const s2 = await store.stage(
      new Map([
        ["ns1/configmaps/a.yaml", b2],
        ["ns1/configmaps/b.yaml", null],
      ]),
    );
    assert.deepEqual(
      [...s2.dirs.keys()].sort(),
      ["", "ns1", "ns1/configmaps"],
      "only the changed path's trees",
    );
    store.adopt(s2);
    assert.equal(
      git(dir.path, "rev-parse", `${s2.rootOid}:ns2`).trim(),
      ns2Before,
      "untouched subtree reused",
    );
    assert.equal(git(dir.path, "show", `${s2.rootOid}:ns1/configmaps/a.yaml`), "two\n");

    // Deleting the last file of a directory removes the directory.
    const s3 = await store.stage(new Map([["ns2/secrets/c.yaml", null]]));
    store.adopt(s3);
    assert.doesNotMatch(git(dir.path, "ls-tree", "-r", s3.rootOid), /ns2/);
    git(dir.path, "fsck", "--strict", "--no-dangling");
  });

  it("agrees with a plain map of files for any sequence of changes (property)", async () => {
    using dir = tempDir("treeprop");
    initBare(dir.path);
    const objects = new GitCliObjects(dir.path);
    const blobs = [await objects.write(3, Buffer.from("a\n")), await objects.write(3, Buffer.from("b\n"))];
    const pathArb = fc
      .tuple(
        fc.constantFrom("n1", "n2", "_cluster"),
        fc.constantFrom("configmaps", "nodes"),
        fc.constantFrom("x", "y", "z"),
      )
      .map(([a, b, c]) => `${a}/${b}/${c}.yaml`);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.tuple(pathArb, fc.constantFrom(0, 1, -1)), { minLength: 1, maxLength: 4 }), {
          maxLength: 4,
        }),
        async (batches) => {
          const store = new TreeStore(objects, null);
          const model = new Map<string, string>();
          let root = "";
          for (const batch of batches) {
            const changes = new Map<string, string | null>();
            for (const [path, which] of batch) changes.set(path, which < 0 ? null : (blobs[which] ?? null));
            for (const [p, b] of changes) {
              if (b === null) model.delete(p);
              else model.set(p, b);
            }
            const staged = await store.stage(changes);
            store.adopt(staged);
            root = staged.rootOid;
          }
          if (root === "") return;
          const listed = git(dir.path, "ls-tree", "-r", root)
            .split("\n")
            .filter((l) => l !== "")
            .map((l) => {
              const [meta = "", path = ""] = l.split("\t");
              return [path, meta.split(" ")[2] ?? ""] as const;
            });
          assert.deepEqual(new Map(listed), new Map([...model].sort()));
        },
      ),
      { numRuns: 12 },
    );
  });
});
