import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Queue } from "bullmq";
import type { ChangeMessage, PublishedCommit } from "@shiplog/core";
import { QueueNames } from "@shiplog/core";
import { DIFF_OMITTED } from "./published-size.js";
import { git, gitFiles, gitLog, redisConnection, tempDir, waitFor } from "./testing/fixtures.js";
import { configMap, configMapSync } from "./testing/messages.js";
import { prefixesDroppedAfter, startTestCommitter } from "./testing/start.js";

const prefix = prefixesDroppedAfter();

describe("Committer (real Redis, real nodegit, verified with the git CLI)", () => {
  it("computes diffs for a published commit only within its 1 MiB budget, and keeps every change", async () => {
    using dir = tempDir("diff-budget");
    const p = prefix("diff-budget");
    await using t = await startTestCommitter(dir.path, p);
    const commitsQueue = new Queue<PublishedCommit>(QueueNames.commits, {
      connection: redisConnection,
      prefix: p,
    });
    try {
      // 300 creates of ~8 KB each: ~2.4 MB of diffs in one window and one author
      const big = "x".repeat(8000);
      await t.producer.send(
        ...Array.from({ length: 300 }, (_, i) =>
          configMap("ns", `c${String(i).padStart(3, "0")}`, { big }, { op: "added", manager: "helm" }),
        ),
      );
      const [job] = await waitFor("published commit", async () => {
        const jobs = await commitsQueue.getJobs(["wait", "completed", "active"]);
        return jobs.length === 1 ? jobs : undefined;
      });
      const changes = job?.data.changes ?? [];
      assert.equal(changes.length, 300, "every change is published");
      const withDiff = changes.filter((c) => c.diff !== DIFF_OMITTED);
      const bytes = withDiff.reduce((n, c) => n + c.diff.length, 0);
      assert.ok(bytes <= 1024 * 1024, `${bytes} bytes of diffs`);
      assert.ok(withDiff.length >= 100 && withDiff.length < 300, `${withDiff.length} diffs kept`);
      assert.deepEqual(
        changes.slice(0, withDiff.length).map((c) => c.diff !== DIFF_OMITTED),
        withDiff.map(() => true),
        "the first changes carry their diffs, the rest the note",
      );
      assert.match(withDiff[0]?.diff ?? "", /^\+ {2}big: x+$/m);
      assert.ok(changes.every((c) => c.summary === "created"));
      assert.equal(gitFiles(dir.path).size, 300);
    } finally {
      await commitsQueue.close();
    }
  });
  it("forgets the per-path queue order once the queue holds nothing older (memory bounded)", async () => {
    using dir = tempDir("forget-seq");
    await using t = await startTestCommitter(dir.path, prefix("forget-seq"), { quietPeriodMs: 200 });
    const n = 4200; // above the committer's threshold for asking Redis
    await t.producer.send(
      ...Array.from({ length: n }, (_, i) =>
        configMap("ns", `m${i}`, { v: "1" }, { op: "added", manager: "helm" }),
      ),
    );
    await waitFor("every object committed", () => gitFiles(dir.path).size === n, 60_000);
    await waitFor("paths forgotten", () => t.committer.status().trackedPaths === 0);
    // 300 updates in one window: worked out while it is open (ChangePrep), written as one pack
    await t.producer.send(
      ...Array.from({ length: 300 }, (_, i) =>
        configMap("ns", `m${i}`, { v: "2" }, { manager: "kubectl-edit" }),
      ),
    );
    await waitFor("the updates commit", () =>
      /v: "2"/.test(gitFiles(dir.path).get("ns/configmaps/m299.yaml") ?? ""),
    );
    const files = gitFiles(dir.path);
    assert.equal([...files.values()].filter((f) => /v: "2"/.test(f)).length, 300);
    assert.match(gitLog(dir.path)[0]?.body ?? "", /- update configmaps ns\/m0: data\.v 1→2/);
    git(dir.path, "fsck", "--strict");
  });
  it("commits a list page sent as one job as its objects, counted one by one against the window bound", async () => {
    using dir = tempDir("batches");
    await using t = await startTestCommitter(dir.path, prefix("batches"), {
      quietPeriodMs: 200,
      maxWindowEvents: 150,
    });
    const page = (p: number): ChangeMessage[] =>
      Array.from({ length: 50 }, (_, i) =>
        configMap("ns", `p${p}-${i}`, { v: String(p) }, { op: "listed", manager: "helm" }),
      );
    await t.producer.sendBatches(page(0), page(1), page(2), page(3));
    await waitFor("every listed object committed", () => gitFiles(dir.path).size === 200);
    const log = gitLog(dir.path);
    // 4 jobs but 200 objects: a bound of 150 events closes the first window before the last page
    assert.ok(log.length >= 2, `expected at least 2 commits, saw ${log.length}`);
    assert.equal(gitFiles(dir.path).get("ns/configmaps/p3-49.yaml")?.includes('v: "3"'), true);
    await waitFor("the window closed", () => t.committer.status().windowEvents === 0);
    await waitFor("jobs completed", async () => (await t.producer.counts())["active"] === 0);
    git(dir.path, "fsck", "--strict");
  });

  it("collapses a burst into one commit and starts a new window after the quiet period", async () => {
    using dir = tempDir("windows");
    await using t = await startTestCommitter(dir.path, prefix("windows"), {
      quietPeriodMs: 300,
      maxWindowMs: 5000,
    });
    await t.producer.send(
      configMap("default", "web", { v: "1" }, { op: "added", manager: "kubectl-client-side-apply" }),
      configMap("default", "web", { v: "2" }, { manager: "kubectl-client-side-apply" }),
      configMap("default", "web", { v: "3" }, { manager: "kubectl-client-side-apply" }),
    );
    await waitFor("first commit", () => gitLog(dir.path).length === 1);
    const [first] = gitLog(dir.path);
    assert.match(first?.body ?? "", /^create configmaps default\/web \(3 updates\)\n/);
    assert.match(first?.body ?? "", /Shiplog-Cluster: test-cluster/);
    assert.match(first?.body ?? "", /Shiplog-Window-Start: \d{4}-\d\d-\d\dT/);
    await new Promise((r) => setTimeout(r, 600));
    await t.producer.send(configMap("default", "web", { v: "4" }, { manager: "kubectl-edit" }));
    await waitFor("second commit", () => gitLog(dir.path).length === 2);
    const files = gitFiles(dir.path);
    assert.match(files.get("default/configmaps/web.yaml") ?? "", /v: "4"|v: '4'|v: 4/);
    assert.match(
      gitLog(dir.path)[0]?.body ?? "",
      /^update configmaps default\/web\n\n- update configmaps default\/web: data\.v 3→4/,
    );
    git(dir.path, "fsck", "--strict");
    await waitFor("jobs completed", async () => (await t.producer.counts())["active"] === 0);
  });

  it("closes a window at its maximum length while events keep coming", async () => {
    using dir = tempDir("maxwindow");
    await using t = await startTestCommitter(dir.path, prefix("maxwindow"), {
      quietPeriodMs: 600,
      maxWindowMs: 800,
    });
    const started = Date.now();
    let i = 0;
    while (Date.now() - started < 3500) {
      await t.producer.send(configMap("default", "busy", { n: String(i++) }, { manager: "helm" }));
      await new Promise((r) => setTimeout(r, 100));
    }
    await waitFor("last event committed", () =>
      (gitFiles(dir.path).get("default/configmaps/busy.yaml") ?? "").includes(`"${i - 1}"`),
    );
    // Events never paused for the 600 ms quiet period, so only the 800 ms maximum closed windows.
    const commits = gitLog(dir.path).length;
    assert.ok(commits >= 3, `expected at least 3 commits in 3.5 s of continuous events, saw ${commits}`);
    assert.ok(gitLog(dir.path).some((c) => /\(\d+ updates\)/.test(c.body)));
  });

  it("makes one commit per author, ordered by first event, with field managers as authors", async () => {
    using dir = tempDir("authors");
    await using t = await startTestCommitter(dir.path, prefix("authors"), { quietPeriodMs: 400 });
    await t.producer.send(
      configMap("team-a", "cfg", { a: "1" }, { op: "added", manager: "kubectl-edit" }),
      configMap("team-b", "chart", { b: "1" }, { op: "added", manager: "helm" }),
      configMap("team-a", "cfg2", { a: "2" }, { op: "added", manager: "kubectl-edit" }),
      configMap("team-c", "app", { c: "1" }, { op: "added", manager: "argocd-controller" }),
    );
    await waitFor("three commits", () => gitLog(dir.path).length === 3);
    const log = gitLog(dir.path).reverse();
    assert.deepEqual(
      log.map((c) => [c.an, c.ae, c.cn]),
      [
        ["kubectl-edit", "kubectl-edit@example.test", "shiplog"],
        ["helm", "helm@example.test", "shiplog"],
        ["argocd-controller", "argocd-controller@example.test", "shiplog"],
      ],
    );
    assert.match(log[0]?.body ?? "", /^create configmaps team-a\/cfg \(\+1 more\)/);
    const blame = git(dir.path, "blame", "--porcelain", "main", "--", "team-b/configmaps/chart.yaml");
    assert.match(blame, /\nauthor helm\n/);
  });

  it("deletes files, reconciles vanished objects on sync, and replays without duplicate commits", async () => {
    using dir = tempDir("deletes");
    const p = prefix("deletes");
    await using t = await startTestCommitter(dir.path, p);
    const { metrics, producer } = t;
    const commitsQueue = new Queue<PublishedCommit>(QueueNames.commits, {
      connection: redisConnection,
      prefix: p,
    });
    try {
      const a = configMap("ns", "a", { k: "a" }, { op: "added", manager: "kubectl-create" });
      const b = configMap("ns", "b", { k: "b" }, { op: "added", manager: "kubectl-create" });
      const c = configMap("other", "c", { k: "c" }, { op: "added", manager: "kubectl-create" });
      await producer.send(a, b, c);
      await waitFor("create commit", () => gitLog(dir.path).length === 1);

      await producer.send(configMap("ns", "a", {}, { op: "deleted", manager: "kubectl-create" }));
      await waitFor("delete commit", () => gitLog(dir.path).length === 2);
      assert.match(gitLog(dir.path)[0]?.body ?? "", /^delete configmaps ns\/a\n/);
      assert.equal(gitFiles(dir.path).has("ns/configmaps/a.yaml"), false);

      // A relist finds only c: b vanished while nobody watched.
      await producer.send({ ...c, op: "listed" }, configMapSync([c.path]));
      await waitFor("reconcile commit", () => gitLog(dir.path).length === 3);
      const reconcile = gitLog(dir.path)[0];
      assert.equal(reconcile?.an, "shiplog");
      assert.match(reconcile?.body ?? "", /^delete configmaps ns\/b \(vanished while not watched\)/);
      assert.deepEqual([...gitFiles(dir.path).keys()], ["other/configmaps/c.yaml"]);

      // Replaying content that is already committed (a restart after commit, before ack) is a no-op.
      const unchangedBefore = (await metrics.unchanged.get()).values[0]?.value ?? 0;
      await producer.send(
        { ...c, op: "listed" },
        configMapSync([c.path]),
        configMap("ns", "b", {}, { op: "deleted" }),
      );
      await waitFor(
        "replay processed",
        async () => ((await metrics.unchanged.get()).values[0]?.value ?? 0) >= unchangedBefore + 2,
      );
      assert.equal(gitLog(dir.path).length, 3, "no duplicate commit");

      const published = await waitFor("published commits", async () => {
        const jobs = await commitsQueue.getJobs(["wait", "completed", "active"]);
        return jobs.length === 3 ? jobs : undefined;
      });
      const vanished = published.map((j) => j.data).find((d) => d.changes.some((ch) => ch.vanished));
      assert.equal(vanished?.author.name, "shiplog");
      assert.equal(vanished?.changes[0]?.path, "ns/configmaps/b.yaml");
      const created = published.map((j) => j.data).find((d) => d.changes.length === 3);
      assert.match(created?.changes[0]?.diff ?? "", /^--- a\/ns\/configmaps\/a\.yaml/);
      assert.equal(created?.changes[0]?.summary, "created");
      const shas = new Set(gitLog(dir.path).map((cm) => cm.sha));
      for (const j of published) assert.ok(shas.has(j.data.sha), "published sha is on the branch");
    } finally {
      await commitsQueue.close();
    }
  });

  it("continues an existing repository after a restart instead of overwriting it", async () => {
    using dir = tempDir("reopen");
    const p = prefix("reopen");
    {
      await using first = await startTestCommitter(dir.path, p);
      await first.producer.send(configMap("ns", "one", { x: "1" }, { op: "added", manager: "m" }));
      await waitFor("first commit", () => gitLog(dir.path).length === 1);
    }
    await using second = await startTestCommitter(dir.path, p);
    await second.producer.send(configMap("ns", "two", { x: "2" }, { op: "added", manager: "m" }));
    await waitFor("second commit", () => gitLog(dir.path).length === 2);
    assert.deepEqual([...gitFiles(dir.path).keys()].sort(), [
      "ns/configmaps/one.yaml",
      "ns/configmaps/two.yaml",
    ]);
  });

  it("a second instance waits for the lock and takes over when the first stops", async () => {
    using dir = tempDir("second");
    const p = prefix("second");
    await using one = await startTestCommitter(dir.path, p);
    await waitFor("first running", () => one.committer.status().state === "running");
    await using two = await startTestCommitter(dir.path, p);
    await waitFor("second waiting", () => two.logger.has(/another committer holds the repo lock; waiting/));
    assert.equal(two.committer.status().state, "waiting-for-lock");
    await one.producer.send(configMap("ns", "x", { v: "1" }, { op: "added", manager: "m" }));
    await waitFor("commit by the first", () => gitLog(dir.path).length === 1);
    assert.equal(two.committer.status().commits, 0);
    await one.committer.stop();
    await waitFor("second takes over", () => two.committer.status().state === "running");
    await two.producer.send(configMap("ns", "x", { v: "2" }, { manager: "m" }));
    await waitFor("commit by the second", () => two.committer.status().commits === 1);
    assert.equal(gitLog(dir.path).length, 2);
  });

  it("skips malformed messages with a logged reason and a metric, and keeps going", async () => {
    using dir = tempDir("malformed");
    await using t = await startTestCommitter(dir.path, prefix("malformed"));
    const { logger, metrics, producer } = t;
    const good = configMap("ns", "ok", { v: "1" }, { op: "added", manager: "m" });
    await producer.send({ ...good, path: "../escape.yaml" }, good);
    await waitFor("commit", () => gitLog(dir.path).length === 1);
    assert.ok(logger.has(/skipping a malformed queue message/));
    assert.equal(
      (await metrics.eventsSkipped.get()).values.reduce((s, v) => s + v.value, 0),
      1,
    );
    assert.deepEqual([...gitFiles(dir.path).keys()], ["ns/configmaps/ok.yaml"]);
  });
});
