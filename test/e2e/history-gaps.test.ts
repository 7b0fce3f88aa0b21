// A history with no gaps (issue 14, ADRs 0037 and 0038): one ConfigMap is updated every 3 s while
// shiplog is killed with SIGKILL and started again between updates, so some updates are made while it
// is down and others while a dead process still holds the lease and its jobs. Real control plane,
// Redis with an append-only file, git and the built CLI.
//
// Promise checked: every state of the ConfigMap is the content of some commit on main, in order, and
// each of those commits has the author and author date live recording gives it: the field manager
// that made the change and the apiserver's time of it (managedFields), as in a run without crashes.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { startPrivateRedis, type PrivateRedis } from "../harness/index.js";
import { startServing, type Running, type Sandbox } from "./support/cli.js";
import { useCluster } from "./support/cluster.js";
import { fileAt, git } from "./support/git.js";
import { until } from "./support/until.js";

const cluster = useCluster();
const MANAGER = "e2e-updater";
const EVERY_MS = 3_000;

let redis: PrivateRedis;
before(async () => {
  redis = await startPrivateRedis({ persistent: true });
});
after(() => redis.stop());

function writeConfig(sb: Sandbox, ns: string): string {
  const file = join(sb.dir, "shiplog.yaml");
  writeFileSync(
    file,
    [
      "watch:",
      `  include: { namespaces: [${ns}], resources: [configmaps] }`,
      // the windows; a short lease so that a restarted process takes over quickly
      "committer: { quietPeriod: 1s, maxWindow: 5s, lockTtl: 2s }",
      "",
    ].join("\n"),
  );
  return file;
}

/** Sets data.v = n as MANAGER; returns the apiserver's time of the change (its managedFields entry). */
async function update(ns: string, n: number): Promise<string> {
  const out = await cluster.kubectl([
    "-n",
    ns,
    "patch",
    "configmap/app",
    "--type=merge",
    "-p",
    JSON.stringify({ data: { v: String(n) } }),
    `--field-manager=${MANAGER}`,
    "--show-managed-fields",
    "-o",
    "json",
  ]);
  const obj = JSON.parse(out) as { metadata: { managedFields?: { manager: string; time?: string }[] } };
  const time = obj.metadata.managedFields?.find((f) => f.manager === MANAGER)?.time;
  assert.ok(time !== undefined, `a managedFields time for ${MANAGER}`);
  return time;
}

interface Recorded {
  readonly state: string;
  readonly author: string;
  readonly date: string;
}

/** The states of `path` on main, oldest first, with each commit's author name and author date. */
async function history(repo: string, path: string): Promise<Recorded[]> {
  const log = await git(repo, ["log", "--reverse", "--format=%H %an %aI", "main", "--", path]);
  const out: Recorded[] = [];
  for (const line of log.stdout.split("\n").filter(Boolean)) {
    const [sha = "", author = "", date = ""] = line.split(" ");
    const state = /v: "(\d+)"/.exec((await fileAt(repo, path, sha)) ?? "")?.[1] ?? "?";
    out.push({ state, author, date: new Date(date).toISOString() });
  }
  return out;
}

/**
 * Updates the ConfigMap `updates` times, EVERY_MS apart; `at(n)` runs right after update n (a kill, a
 * start) without delaying the next update. Returns the apiserver's time of each update.
 */
async function churn(
  ns: string,
  updates: number,
  at: Record<number, () => Promise<void>>,
): Promise<Map<number, string>> {
  const times = new Map<number, string>();
  const pending: Promise<void>[] = [];
  const start = Date.now();
  for (let n = 1; n <= updates; n++) {
    await sleep(Math.max(0, start + n * EVERY_MS - Date.now()));
    times.set(n, await update(ns, n));
    const hook = at[n];
    if (hook) pending.push(hook());
  }
  await Promise.all(pending);
  return times;
}

function checkHistory(got: Recorded[], times: Map<number, string>, updates: number): void {
  const states = got.map((r) => r.state);
  const want = Array.from({ length: updates + 1 }, (_, i) => String(i));
  const missing = want.filter((s) => !states.includes(s));
  assert.deepEqual(missing, [], `every state is some commit's content; history: ${states.join(",")}`);
  // In order, each state once (a replay after a kill is a no-op, not a second commit).
  assert.deepEqual(states, want, "one commit per state, in order");
  for (const r of got.slice(1)) {
    const n = Number(r.state);
    assert.equal(r.author, MANAGER, `state ${n}'s author`);
    assert.equal(r.date, new Date(times.get(n) ?? "").toISOString(), `state ${n}'s author date`);
  }
}

describe("a history with no gaps across kill -9", () => {
  it("records all 25 states while `shiplog run` is killed after updates 6 and 15 and restarted after 8 and 17", async () => {
    await using ns = await cluster.namespace("gaps-run");
    const sb = cluster.sandbox("gaps-run", redis.url);
    const config = writeConfig(sb, ns.name);
    const path = `${ns.name}/configmaps/app.yaml`;
    await cluster.kubectl(["-n", ns.name, "create", "configmap", "app", "--from-literal=v=0"]);

    let current: Running = await startServing(sb, ["run", "--config", config]);
    const all: Running[] = [current];
    const kill = (): Promise<void> => {
      current.child.kill("SIGKILL");
      return Promise.resolve();
    };
    const restart = async (): Promise<void> => {
      current = await startServing(sb, ["run", "--config", config]);
      all.push(current);
    };
    try {
      const times = await churn(ns.name, 24, { 6: kill, 8: restart, 15: kill, 17: restart });
      await until(
        "state 24 on main",
        60_000,
        async () => /v: "24"/.test((await fileAt(sb.repo, path)) ?? ""),
        {
          detail: () => current.logs().slice(-3000),
        },
      );
      await sleep(2_000); // anything still in flight
      const got = await history(sb.repo, path);
      console.log(
        `history-gaps: run: ${got.length} commits of ${path}: ${got.map((r) => r.state).join(",")}`,
      );
      const resumed = all.slice(1).map((r) => /resuming the watch/.test(r.logs()));
      assert.deepEqual(resumed, [true, true], "each restart resumed the watch instead of relisting");
      checkHistory(got, times, 24);
    } finally {
      for (const r of all) if (r.child.exitCode === null && r.child.signalCode === null) await r.stop();
    }
  });

  it("records every state when the watcher and the committer are killed separately", async () => {
    await using ns = await cluster.namespace("gaps-split");
    const sb = cluster.sandbox("gaps-split", redis.url);
    const config = writeConfig(sb, ns.name);
    const path = `${ns.name}/configmaps/app.yaml`;
    await cluster.kubectl(["-n", ns.name, "create", "configmap", "app", "--from-literal=v=0"]);

    let committer: Running = await startServing(sb, ["commit", "--config", config]);
    let watcher: Running = await startServing(sb, ["watch", "--config", config]);
    const all: Running[] = [committer, watcher];
    try {
      await until("state 0 on main", 60_000, async () => /v: "0"/.test((await fileAt(sb.repo, path)) ?? ""));
      const times = await churn(ns.name, 14, {
        3: () => Promise.resolve(void watcher.child.kill("SIGKILL")),
        5: async () => {
          watcher = await startServing(sb, ["watch", "--config", config]);
          all.push(watcher);
        },
        9: () => Promise.resolve(void committer.child.kill("SIGKILL")),
        11: async () => {
          committer = await startServing(sb, ["commit", "--config", config]);
          all.push(committer);
        },
      });
      await until(
        "state 14 on main",
        60_000,
        async () => /v: "14"/.test((await fileAt(sb.repo, path)) ?? ""),
        {
          detail: () => committer.logs().slice(-3000),
        },
      );
      await sleep(2_000);
      const got = await history(sb.repo, path);
      console.log(
        `history-gaps: split: ${got.length} commits of ${path}: ${got.map((r) => r.state).join(",")}`,
      );
      assert.match(watcher.logs(), /resuming the watch/, "the restarted watcher resumed");
      checkHistory(got, times, 14);
    } finally {
      for (const r of all) if (r.child.exitCode === null && r.child.signalCode === null) await r.stop();
    }
  });
});
