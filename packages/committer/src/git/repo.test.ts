import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RefMovedError } from "../errors/ref-moved-error.js";
import { git, tempDir } from "../testing/fixtures.js";
import { ObjectTypes } from "./object-types.js";
import { openRepo } from "./repo.js";

describe("openRepo and GitRepo (nodegit)", () => {
  it("creates a bare repo, writes objects and moves the branch by compare-and-swap", async () => {
    using dir = tempDir("repo");
    const path = join(dir.path, "r.git");
    const repo = await openRepo({ path });
    assert.equal(await repo.head(), null);
    const blob = await repo.objects.write(ObjectTypes.blob, Buffer.from("hello\n"));
    assert.match(blob, /^[0-9a-f]{40}$/);
    assert.equal((await repo.objects.read(blob)).toString(), "hello\n");
    const tree = await repo.objects.writeTree(new Map([["f", { mode: "100644", oid: blob }]]));
    const sig = { name: "a", email: "a@x", timeMs: 1_700_000_000_000 };
    const c1 = await repo.writeCommit({ tree, parents: [], author: sig, committer: sig, message: "one" });
    await repo.updateRef(c1, null, "first");
    assert.equal(await repo.head(), c1);
    assert.equal(await repo.treeOf(c1), tree);
    const c2 = await repo.writeCommit({ tree, parents: [c1], author: sig, committer: sig, message: "two" });
    // A stale expectation is a RefMovedError carrying what the branch really points at.
    await assert.rejects(
      repo.updateRef(c2, c2, "wrong expectation"),
      (err) => err instanceof RefMovedError && err.expected === c2 && err.actual === c1,
    );
    await assert.rejects(
      repo.updateRef(c2, null, "branch exists"),
      (err) => err instanceof RefMovedError && err.expected === null && err.actual === c1,
    );
    await repo.updateRef(c2, c1, "second");
    assert.equal(git(path, "rev-parse", "main").trim(), c2);
    assert.equal(git(path, "symbolic-ref", "HEAD").trim(), "refs/heads/main");
    assert.equal(git(path, "log", "--format=%s", "main"), "two\none\n");
    git(path, "fsck", "--strict");
    assert.equal(await repo.contains(c2, c1), true);
    repo.close();

    const again = await openRepo({ path });
    assert.equal(await again.head(), c2, "an existing repo is continued");
    again.close();
  });

  it("refuses to take over a non-empty directory that is not a repository", async () => {
    using dir = tempDir("repo-refuse");
    mkdirSync(join(dir.path, "data"));
    writeFileSync(join(dir.path, "data", "precious.txt"), "keep me");
    await assert.rejects(openRepo({ path: join(dir.path, "data") }), /refusing to overwrite/);
  });
});
