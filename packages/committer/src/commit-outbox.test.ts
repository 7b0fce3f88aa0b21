import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import type { PublishedCommit } from "@shiplog/core";
import { failpoints, QueueNames } from "@shiplog/core";
import { CommitOutbox, firstParent } from "./commit-outbox.js";
import { CommitPublisher } from "./commit-publisher.js";
import { HeldJobs } from "./held-jobs.js";
import { createCommitterMetrics } from "./metrics.js";
import {
  foreignCommit,
  git,
  gitHead,
  MemoryLogger,
  redisConnection,
  tempDir,
  waitFor,
} from "./testing/fixtures.js";
import { configMap } from "./testing/messages.js";
import { prefixesDroppedAfter, startTestCommitter, testCommitter } from "./testing/start.js";
import type { WrittenCommit } from "./window-writer.js";

const prefix = prefixesDroppedAfter();

function written(sha: string): WrittenCommit {
  const at = new Date().toISOString();
  return {
    sha,
    author: { name: "someone", email: "someone@example.test", source: "field-manager" },
    subject: "update configmaps crash/cfg",
    committedAt: at,
    windowStart: at,
    windowEnd: at,
    changes: [],
  };
}

/** A commit as shiplog writes it, made with the git CLI: what a crash right after the ref update leaves. */
function shiplogCommit(gitDir: string, path: string, content: string, message: string): string {
  const index = join(gitDir, "gap-index");
  const run = (args: string[], input?: string): string =>
    execFileSync(
      "git",
      ["--git-dir", gitDir, "-c", "user.name=shiplog", "-c", "user.email=shiplog@example.test", ...args],
      { encoding: "utf8", input, env: { ...process.env, GIT_INDEX_FILE: index, HOME: gitDir } },
    ).trim();
  try {
    run(["read-tree", "main"]);
    const blob = run(["hash-object", "-w", "--stdin"], content);
    run(["update-index", "--add", "--cacheinfo", `100644,${blob},${path}`]);
    const head = run(["rev-parse", "main"]);
    const sha = run(["commit-tree", run(["write-tree"]), "-p", head, "-F", "-"], message);
    run(["update-ref", "refs/heads/main", sha, head]);
    return sha;
  } finally {
    rmSync(index, { force: true });
  }
}

async function jobsFor(queue: Queue<PublishedCommit>, sha: string): Promise<number> {
  const jobs = await queue.getJobs(["wait", "active", "completed", "delayed", "failed"]);
  return jobs.filter((j) => j.data.sha === sha).length;
}

/** Runs a committer until it has committed and published one ConfigMap, then stops it. */
async function commitAndPublishOne(
  repo: string,
  p: string,
  commitsQueue: Queue<PublishedCommit>,
): Promise<{ first: string; outboxKey: string }> {
  await using t = await startTestCommitter(repo, p);
  await t.producer.send(configMap("crash", "cfg", { v: "1" }, { op: "added", manager: "m" }));
  const first = await waitFor("first commit", () => gitHead(repo));
  await waitFor("first commit published", async () => (await jobsFor(commitsQueue, first)) === 1);
  return { first, outboxKey: t.committer.outboxKey };
}

describe("no lost alert (outbox, real Redis and git)", () => {
  it("reads the first parent of a commit object", () => {
    const p = "a".repeat(40);
    assert.equal(firstParent(Buffer.from(`tree ${"b".repeat(40)}\nparent ${p}\nauthor x\n`)), p);
    assert.equal(firstParent(Buffer.from(`tree ${"b".repeat(40)}\nauthor x\n`)), null);
  });

  it("publishes a commit left unpublished by a crash exactly once, and never one whose ref update failed", async () => {
    using dir = tempDir("outbox-crash");
    const p = prefix("outbox-crash");
    const redis = new Redis(redisConnection);
    const commitsQueue = new Queue<PublishedCommit>(QueueNames.commits, {
      connection: redisConnection,
      prefix: p,
    });
    try {
      // The normal path: published, and the outbox is empty afterwards.
      {
        const { outboxKey } = await commitAndPublishOne(dir.path, p, commitsQueue);
        assert.equal(await redis.hlen(outboxKey), 0);
      }
      const outboxKey = testCommitter(dir.path, p).committer.outboxKey;
      const outbox = new CommitOutbox(redis, outboxKey);

      // A crash after the ref update and before the publish: the commit is on the branch, in the outbox,
      // not on the queue, and its jobs are not acknowledged.
      const onBranch = foreignCommit(dir.path, { "README.md": "kept\n" });
      let acked = 0;
      const crashing = new CommitPublisher({
        queue: { connection: redisConnection, prefix: p },
        outbox,
        cluster: "test-cluster",
        branch: "main",
        held: new HeldJobs(),
        pusher: undefined,
        metrics: createCommitterMetrics(),
        logger: new MemoryLogger(),
        failpoints: failpoints("committer/before-publish=throw"),
      });
      try {
        await assert.rejects(
          crashing.settle(
            { ack: (jobs) => Promise.resolve(((acked += jobs.length), 0)) },
            [],
            [written(onBranch)],
          ),
          /failpoint committer\/before-publish hit/,
        );
      } finally {
        await crashing.close();
      }
      assert.equal(acked, 0);
      assert.equal(await jobsFor(commitsQueue, onBranch), 0);
      assert.equal(await redis.hexists(outboxKey, onBranch), 1);

      // A window whose ref update failed: its commit object exists but is not on the branch.
      const tree = git(dir.path, "rev-parse", "main^{tree}").trim();
      const offBranch = git(
        dir.path,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.test",
        "commit-tree",
        tree,
        "-p",
        onBranch,
        "-m",
        "never on the branch",
      ).trim();
      await outbox.put([{ ...written(offBranch), cluster: "test-cluster", branch: "main" }]);

      // The next instance publishes the first, drops the second.
      {
        await using t = await startTestCommitter(dir.path, p);
        await waitFor("crashed commit published", async () => (await jobsFor(commitsQueue, onBranch)) === 1);
        await waitFor("outbox emptied", async () => (await redis.hlen(outboxKey)) === 0);
        assert.equal(await jobsFor(commitsQueue, offBranch), 0);
        assert.ok(t.logger.has(/dropped/));
      }

      // A crash after the publish and before the outbox entry is removed: republished, enqueued once.
      await outbox.put([{ ...written(onBranch), cluster: "test-cluster", branch: "main" }]);
      {
        await using t = await startTestCommitter(dir.path, p);
        await waitFor("outbox emptied again", async () => (await redis.hlen(outboxKey)) === 0);
        assert.equal(t.committer.status().state, "running");
      }
      assert.equal(await jobsFor(commitsQueue, onBranch), 1, "the jobId dedup kept one job");
    } finally {
      await commitsQueue.close();
      redis.disconnect();
    }
  });

  it("publishes a commit that reached the branch but not the outbox, rebuilt from git, once", async () => {
    using dir = tempDir("outbox-gap");
    const p = prefix("outbox-gap");
    const redis = new Redis(redisConnection);
    const commitsQueue = new Queue<PublishedCommit>(QueueNames.commits, {
      connection: redisConnection,
      prefix: p,
    });
    try {
      {
        const { first, outboxKey } = await commitAndPublishOne(dir.path, p, commitsQueue);
        assert.equal(await redis.get(`${outboxKey}:last-published`), first);
      }
      const manifest = [
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata:",
        "  name: gap",
        "  namespace: crash",
        "  labels:",
        "    team: a",
        "data:",
        '  v: "1"',
        "",
      ].join("\n");
      const gap = shiplogCommit(
        dir.path,
        "crash/configmaps/gap.yaml",
        manifest,
        [
          "create configmaps crash/gap (2 updates)",
          "",
          "- create configmaps crash/gap (2 updates): created",
          "",
          "Shiplog-Cluster: test-cluster",
          "Shiplog-Window-Start: 2026-01-01T00:00:00.000Z",
          "Shiplog-Window-End: 2026-01-01T00:00:01.000Z",
          "",
        ].join("\n"),
      );
      const foreign = foreignCommit(dir.path, { "README.md": "someone's\n" });
      {
        await using t = await startTestCommitter(dir.path, p);
        await waitFor("gap commit published", async () => (await jobsFor(commitsQueue, gap)) === 1);
        assert.equal(await redis.get(`${t.committer.outboxKey}:last-published`), gap);
      }
      const [job] = (await commitsQueue.getJobs(["wait", "active", "completed"])).filter(
        (j) => j.data.sha === gap,
      );
      assert.deepEqual(
        {
          subject: job?.data.subject,
          windowStart: job?.data.windowStart,
          author: job?.data.author,
          changes: job?.data.changes.map((c) => [c.op, c.kind, c.path, c.updates, c.summary, c.labels]),
        },
        {
          subject: "create configmaps crash/gap (2 updates)",
          windowStart: "2026-01-01T00:00:00.000Z",
          author: { name: "shiplog", email: "shiplog@example.test", source: "unknown" },
          changes: [["create", "ConfigMap", "crash/configmaps/gap.yaml", 2, "created", { team: "a" }]],
        },
      );
      assert.match(job?.data.changes[0]?.diff ?? "", /\+kind: ConfigMap/);
      assert.equal(await jobsFor(commitsQueue, foreign), 0, "a foreign commit is not announced");
      // A later start finds nothing new to announce.
      {
        await using t = await startTestCommitter(dir.path, p);
        await waitFor("running", () => t.committer.status().state === "running");
      }
      assert.equal(await jobsFor(commitsQueue, gap), 1);
    } finally {
      await commitsQueue.close();
      redis.disconnect();
    }
  });
});
