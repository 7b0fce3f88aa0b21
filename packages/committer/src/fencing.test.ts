import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Worker } from "bullmq";
import type { Job } from "bullmq";
import { Redis } from "ioredis";
import type { WatchMessage } from "@shiplog/core";
import { QueueNames, silentLogger } from "@shiplog/core";
import { FencedOutError } from "./errors/fenced-out-error.js";
import { FENCE_REF, openRepo } from "./git/repo.js";
import { reclaimOrphans } from "./orphan-reclaim.js";
import { EventProducer, foreignCommit, git, gitHead, redisConnection, tempDir } from "./testing/fixtures.js";
import { configMap } from "./testing/messages.js";
import { prefixesDroppedAfter } from "./testing/start.js";

const prefix = prefixesDroppedAfter();
const redis = new Redis(redisConnection);
after(() => redis.disconnect());

describe("the fence: a term that lost its lease cannot move the branch (real git)", () => {
  it("rejects every branch update of an older term once a newer one claimed the fence", async () => {
    using dir = tempDir("fence");
    const path = join(dir.path, "r.git");
    const base = await seeded(path);
    const old = await openRepo({ path });
    const next = await openRepo({ path });
    try {
      await old.claimFence(1);
      const c1 = foreignCommitOff(path, base, "b.txt");
      await old.updateRef(c1, base, "old term, still leader");
      assert.equal(gitHead(path), c1);

      await next.claimFence(2);
      assert.equal(await old.fenceToken(), 2);
      const c2 = foreignCommitOff(path, c1, "c.txt");
      await assert.rejects(old.updateRef(c2, c1, "old term, paused past its lease"), FencedOutError);
      assert.equal(gitHead(path), c1, "the old term moved nothing");

      await next.updateRef(c2, c1, "new term");
      assert.equal(gitHead(path), c2);
      await assert.rejects(old.claimFence(1), FencedOutError, "an older token cannot claim the fence back");
      assert.equal(git(path, "cat-file", "blob", FENCE_REF).trim(), "2");
      git(path, "fsck", "--strict");
    } finally {
      old.close();
      next.close();
    }
  });

  it("still reports a branch that moved as moved (the compare-and-swap is kept)", async () => {
    using dir = tempDir("fence-cas");
    const path = join(dir.path, "r.git");
    const base = await seeded(path);
    const repo = await openRepo({ path });
    try {
      await repo.claimFence(5);
      const mine = foreignCommitOff(path, base, "mine.txt");
      const theirs = foreignCommit(path, { "theirs.txt": "1\n" });
      await assert.rejects(repo.updateRef(mine, base, "stale head"), { name: "RefMovedError" });
      assert.equal(gitHead(path), theirs);
    } finally {
      repo.close();
    }
  });
});

describe("the fence after a kill -9 mid-transaction (a ref lock left behind)", () => {
  it("breaks a stale lock on the fence ref, and reports a fresh one as a write error to retry", async () => {
    using dir = tempDir("fence-lock");
    const path = join(dir.path, "r.git");
    await seeded(path);
    const lock = join(path, `${FENCE_REF}.lock`);
    mkdirSync(dirname(lock), { recursive: true });
    const repo = await openRepo({ path });
    try {
      writeFileSync(lock, "");
      await assert.rejects(
        repo.claimFence(3),
        { name: "GitWriteError" },
        "a live transaction's lock is kept",
      );
      const old = new Date(Date.now() - 60_000);
      utimesSync(lock, old, old);
      await repo.claimFence(3);
      assert.equal(await repo.fenceToken(), 3);
    } finally {
      repo.close();
    }
  });
});

describe("reclaimOrphans: the jobs of an earlier term come back at once, in queue order", () => {
  it("returns every held job to the queue in order, and the old holder can no longer complete them", async () => {
    const p = prefix("reclaim");
    const producer = new EventProducer(p);
    const old = new Worker<WatchMessage>(QueueNames.events, null, { connection: redisConnection, prefix: p });
    const next = new Worker<WatchMessage>(QueueNames.events, null, {
      connection: redisConnection,
      prefix: p,
    });
    try {
      const n = 1234; // more than two chunks
      const msgs = Array.from({ length: n }, (_, i) => configMap("ns", `cm-${i}`, { v: String(i) }));
      for (let i = 0; i < n; i += 500) await producer.send(...msgs.slice(i, i + 500));
      const held: Job<WatchMessage>[] = [];
      for (let i = 0; i < n; i++) {
        const job = (await old.getNextJob("old-term")) as Job<WatchMessage> | undefined;
        assert.ok(job);
        held.push(job);
      }
      assert.equal(await redis.llen(`${p}:${QueueNames.events}:active`), n);

      assert.equal(await reclaimOrphans(redis, p, silentLogger), n);
      assert.equal(await redis.llen(`${p}:${QueueNames.events}:active`), 0);

      const order: string[] = [];
      for (let i = 0; i < n; i++) {
        const job = (await next.getNextJob("new-term")) as Job<WatchMessage> | undefined;
        assert.ok(job, `job ${i} came back`);
        order.push(job.id ?? "");
      }
      assert.deepEqual(
        order,
        held.map((j) => j.id ?? ""),
        "fetched again in the order they were queued",
      );
      await assert.rejects(held[0]!.moveToCompleted("late", "old-term", false), /lock/i);
      assert.equal(await reclaimOrphans(redis, p, silentLogger), n, "the new term's own held jobs, if asked");
    } finally {
      await old.close(true);
      await next.close(true);
      await producer.close();
    }
  });
});

/** A new bare repository whose main has one commit (of one file); returns that commit. */
async function seeded(path: string): Promise<string> {
  (await openRepo({ path })).close();
  const empty = git(path, "hash-object", "-w", "-t", "tree", "/dev/null").trim();
  const who = ["-c", "user.name=someone", "-c", "user.email=someone@example.test"];
  const root = git(path, ...who, "commit-tree", empty, "-m", "root").trim();
  git(path, "update-ref", "refs/heads/main", root);
  return foreignCommit(path, { "a.txt": "1\n" });
}

/** A commit on top of `parent` (same tree, its own message), not on any branch. */
function foreignCommitOff(path: string, parent: string, label: string): string {
  const tree = git(path, "rev-parse", `${parent}^{tree}`).trim();
  const who = ["-c", "user.name=someone", "-c", "user.email=someone@example.test"];
  return git(path, ...who, "commit-tree", tree, "-p", parent, "-m", `commit ${label}`).trim();
}
