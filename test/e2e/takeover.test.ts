// Fast, fenced takeover (issue 14; docs/adr/0037): several `shiplog commit` processes on one repository
// and one Redis, the watcher in its own `shiplog watch`. Real control plane, Redis, git and the built CLI.
//
// Promises checked:
// - kill -9 of the leader: a standby commits the next change within 5 s of the kill (a 2 s lease,
//   renewed every third of it, taken over when it lapses), and the change is in exactly one commit;
// - a leader paused (SIGSTOP) past its lease, holding an open window, and resumed (SIGCONT) cannot
//   move the branch: the standby took the lease and the fence, replayed the paused leader's jobs in
//   order, and the resumed process steps down without a commit.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, it } from "node:test";
import { startServing, type Running, type Sandbox } from "./support/cli.js";
import { useCluster } from "./support/cluster.js";
import { fileAt, git } from "./support/git.js";
import { until } from "./support/until.js";

const cluster = useCluster();
const LEASE = "2s";

/** A config recording only ConfigMaps of `ns`, short windows and a short lease. */
function writeConfig(sb: Sandbox, ns: string, name: string, quietPeriod: string): string {
  const file = join(sb.dir, name);
  writeFileSync(
    file,
    [
      "watch:",
      `  include: { namespaces: [${ns}], resources: [configmaps] }`,
      `committer: { quietPeriod: ${quietPeriod}, maxWindow: 10s, lockTtl: ${LEASE} }`,
      "",
    ].join("\n"),
  );
  return file;
}

const leads = (r: Running): number =>
  r
    .logs()
    .split("\n")
    .filter((l) => l.includes("holding the repo lock")).length;
/** The fence token of `r`'s latest term, from its "holding the repo lock" log line. */
function fenceOf(r: Running): number {
  const line =
    r
      .logs()
      .split("\n")
      .filter((l) => l.includes("holding the repo lock"))
      .at(-1) ?? "";
  const fence = Number(/"fence":(\d+)/.exec(line)?.[1]);
  assert.ok(Number.isInteger(fence), `a fence in ${line}`);
  return fence;
}
const committed = (r: Running): number =>
  r
    .logs()
    .split("\n")
    .filter((l) => l.includes("window committed")).length;

async function head(repo: string): Promise<string> {
  return (await git(repo, ["rev-parse", "main"])).stdout.trim();
}

async function commitsTouching(repo: string, path: string): Promise<string[]> {
  const r = await git(repo, ["log", "--reverse", "--format=%H", "main", "--", path]);
  return r.stdout.split("\n").filter(Boolean);
}

describe("committer takeover", () => {
  it("a standby commits within 5 s of the leader's kill -9; a paused leader cannot move the branch", async () => {
    await using ns = await cluster.namespace("takeover");
    const sb = cluster.sandbox("takeover");
    const fast = writeConfig(sb, ns.name, "fast.yaml", "300ms");
    // A long quiet period: this committer still holds its window when it is paused.
    const slow = writeConfig(sb, ns.name, "slow.yaml", "4s");
    const path = `${ns.name}/configmaps/app.yaml`;
    const content = async (): Promise<string> => (await fileAt(sb.repo, path)) ?? "";
    await cluster.kubectl(["-n", ns.name, "create", "configmap", "app", "--from-literal=v=1"]);

    const a = await startServing(sb, ["commit", "--config", fast]);
    const running: Running[] = [a];
    try {
      await until("A to lead", 30_000, () => leads(a) > 0, { detail: () => a.logs().slice(-2000) });
      const b = await startServing(sb, ["commit", "--config", fast]);
      running.push(b);
      const watcher = await startServing(sb, ["watch", "--config", fast]);
      running.push(watcher);
      await until("the initial state on main", 60_000, async () => /v: "1"/.test(await content()), {
        detail: () => a.logs().slice(-2000),
      });
      assert.equal(leads(b), 0, "B waits while A leads");

      // 1. kill -9 the leader; the next change is committed by the standby within 5 s.
      a.child.kill("SIGKILL");
      const killedAt = Date.now();
      await cluster.patch(ns.name, "configmap/app", { data: { v: "2" } });
      await until("B to commit v=2", 30_000, async () => /v: "2"/.test(await content()), {
        detail: () => b.logs().slice(-2000),
      });
      const takeoverMs = Date.now() - killedAt;
      console.log(
        `takeover: kill -9 of the leader to the next change on main: ${takeoverMs} ms (lease ${LEASE})`,
      );
      assert.equal(leads(b), 1, "B leads");
      assert.ok(takeoverMs <= 5_000, `committed ${takeoverMs} ms after the kill`);

      // 2. C (quiet period 4 s) leads after B stops cleanly; D stands by.
      const c = await startServing(sb, ["commit", "--config", slow]);
      running.push(c);
      assert.equal(await b.stop(), 0, b.logs().slice(-2000));
      await until("C to lead", 15_000, () => leads(c) > 0, { detail: () => c.logs().slice(-2000) });
      const fenceC = fenceOf(c);
      const d = await startServing(sb, ["commit", "--config", fast]);
      running.push(d);

      // C holds an open window (v=3) when it is paused past its lease.
      await cluster.patch(ns.name, "configmap/app", { data: { v: "3" } });
      await sleep(1_000); // C fetched v=3 into its window (the watcher sends it at once)
      const before = await head(sb.repo);
      assert.equal(committed(c), 0, "v=3 is still in C's open window");
      c.child.kill("SIGSTOP");
      try {
        await until("D to take over", 15_000, () => leads(d) > 0, { detail: () => d.logs().slice(-2000) });
        // D replays C's orphaned v=3 at once, then records v=4 after it: in order, nothing overwritten.
        await until("D to commit v=3", 15_000, async () => /v: "3"/.test(await content()));
        await cluster.patch(ns.name, "configmap/app", { data: { v: "4" } });
        await until("D to commit v=4", 15_000, async () => /v: "4"/.test(await content()));
      } finally {
        c.child.kill("SIGCONT");
      }
      const afterD = await head(sb.repo);
      assert.notEqual(afterD, before);
      // C's window was due long ago: resumed, it tries to commit it, and must not get through.
      await until("C to step down", 20_000, () => /stepping down/.test(c.logs()), {
        detail: () => c.logs().slice(-2000),
      });
      await sleep(2_000);
      const down =
        c
          .logs()
          .split("\n")
          .find((l) => l.includes("stepping down")) ?? "";
      console.log(
        `takeover: the resumed leader stepped down on ${/FencedOutError|RepoLockLostError/.exec(down)?.[0] ?? down}`,
      );
      assert.equal(await head(sb.repo), afterD, "the resumed leader moved nothing");
      assert.match(await content(), /v: "4"/, "the newest state stays");
      assert.equal(committed(c), 0, "C committed nothing after its pause");
      const fence = Number((await git(sb.repo, ["cat-file", "blob", "refs/shiplog/fence"])).stdout.trim());
      assert.equal(fence, fenceOf(d), "the fence is D's");
      assert.ok(fence > fenceC, `D's fence (${fence}) is newer than C's (${fenceC})`);

      // Every state is some commit's content, each in exactly one commit, in order.
      const states: string[] = [];
      for (const sha of await commitsTouching(sb.repo, path))
        states.push(/v: "(\d)"/.exec((await fileAt(sb.repo, path, sha)) ?? "")?.[1] ?? "?");
      assert.deepEqual(states, ["1", "2", "3", "4"]);
      await git(sb.repo, ["fsck", "--strict"]);
    } finally {
      for (const r of running.reverse()) {
        if (r.child.exitCode !== null || r.child.signalCode === "SIGKILL") continue;
        await r.stop().catch(() => r.child.kill("SIGKILL"));
      }
    }
  });
});
