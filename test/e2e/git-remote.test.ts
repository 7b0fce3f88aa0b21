// The Git side survives ordinary operations (issue 12, items 1, 2 and 8): a lost local clone continues
// the remote's history instead of starting a new root that is refused for ever; a foreign commit on the
// remote (a README, or a hand edit of a recorded file) is kept and shiplog keeps pushing, never forced;
// `shiplog snapshot` into the repo of a running `shiplog run` while a change window is open does not
// wedge the committer; a remote URL with credentials is refused at start-up without echoing them.
// Real components: the shared kube-apiserver, Redis, git (bare remotes that refuse non-fast-forward
// pushes) and the built `shiplog run` / `shiplog snapshot`.
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { parse as parseYaml } from "yaml";
import { oneLineError, shiplog, startServing, type Running } from "./support/cli.js";
import { useCluster } from "./support/cluster.js";
import { fileAt, git } from "./support/git.js";
import {
  bareRemote,
  foreignCommit,
  headOf,
  isAncestor,
  messagesOf,
  refUpdates,
  withRemote,
} from "./support/git-servers.js";
import { until } from "./support/until.js";

const cluster = useCluster();
const { kubectl } = cluster;

const ZERO = "0".repeat(40);

/** `data` of a ConfigMap in the cluster. */
async function clusterData(ns: string, name: string): Promise<Record<string, string>> {
  const cm = JSON.parse(await kubectl(["-n", ns, "get", "configmap", name, "-o", "json"])) as {
    data?: Record<string, string>;
  };
  return cm.data ?? {};
}

/** `data` of the ConfigMap file recorded at `path` on main of `repo`, or undefined without the file. */
async function recordedData(repo: string, path: string): Promise<Record<string, string> | undefined> {
  const text = await fileAt(repo, path);
  if (text === undefined) return undefined;
  return (parseYaml(text) as { data?: Record<string, string> }).data ?? {};
}

/** Waits until main of `remote` is main of the local repo and records `path` as the cluster has it. */
async function pushedAsCluster(
  s: Running,
  remote: string,
  local: string,
  path: string,
  ns: string,
  name: string,
  expected: Record<string, string>,
): Promise<string> {
  let seen: unknown;
  return until(
    `${path} as the cluster has it on the remote's main, and the remote at the local head`,
    30_000,
    async () => {
      const data = await clusterData(ns, name);
      assert.deepEqual(data, expected, "the cluster holds the change");
      seen = await recordedData(remote, path);
      const head = await headOf(remote);
      return isDeepStrictEqual(seen, data) && head !== undefined && head === (await headOf(local))
        ? head
        : undefined;
    },
    { detail: () => `remote has ${JSON.stringify(seen)}; logs:\n${s.logs().slice(-3000)}` },
  );
}

/** Every update of the remote's main moved it forward: no force push ever reached it. */
async function assertOnlyFastForwards(remote: string): Promise<void> {
  const updates = refUpdates(remote);
  assert.ok(updates.length > 0, "the remote's reflog records its updates");
  for (const [from, to] of updates) {
    if (from === ZERO) continue;
    assert.ok(await isAncestor(remote, from, to), `remote main moved ${from} -> ${to}, not a fast-forward`);
  }
}

/** Stops `s`, asserting a clean exit; once stopped, later calls are no-ops. */
async function stopClean(s: Running): Promise<void> {
  assert.equal(await s.stop(), 0, s.logs().slice(-3000));
}

it("a lost local clone continues the remote's history: the old commits stay ancestors, nothing is forced", async () => {
  await using ns = await cluster.namespace("lost-clone");
  await kubectl(["-n", ns.name, "create", "configmap", "settings", "--from-literal=v=1"]);
  const base = cluster.sandbox("lost-clone");
  const remote = await bareRemote(join(base.dir, "remote.git"));
  const sb = withRemote(base, { url: remote });
  const path = `${ns.name}/configmaps/settings.yaml`;
  const args = ["run", "-n", ns.name, "--quiet-period", "500ms"];

  let s = await startServing(sb, args);
  let firstHead: string;
  let firstLogs: string;
  try {
    firstHead = await pushedAsCluster(s, remote, sb.repo, path, ns.name, "settings", { v: "1" });
    await stopClean(s);
  } finally {
    firstLogs = s.logs();
    await s.stop().catch(() => undefined);
  }
  // A new PVC, a pod on another node, an emptyDir: the local clone is gone, the remote is not.
  rmSync(sb.repo, { recursive: true, force: true });

  s = await startServing(sb, args);
  try {
    await cluster.patch(ns.name, "configmap/settings", { data: { v: "2" } });
    const head = await pushedAsCluster(s, remote, sb.repo, path, ns.name, "settings", { v: "2" });
    assert.notEqual(head, firstHead, "the change is a new commit on the remote");
    assert.ok(
      await isAncestor(remote, firstHead, head),
      `the first run's head ${firstHead} is an ancestor of the new head ${head}`,
    );
    const roots = (await git(remote, ["rev-list", "--max-parents=0", "main"])).stdout.trim().split("\n");
    assert.equal(roots.length, 1, `one root commit, not a new history: ${roots.join(", ")}`);
    await assertOnlyFastForwards(remote);
    assert.match(s.logs(), /continued the remote's history/);
    await stopClean(s);
  } finally {
    await s.stop().catch(() => undefined);
  }
  assert.doesNotMatch(firstLogs + s.logs(), /REMOTE HAS DIVERGED/);
});

it("a foreign commit on the remote is kept and shiplog keeps pushing; a hand edit of a recorded file ends as the cluster's state, in a commit that says so", async () => {
  await using ns = await cluster.namespace("foreign");
  await kubectl(["-n", ns.name, "create", "configmap", "settings", "--from-literal=v=1"]);
  const base = cluster.sandbox("foreign");
  const remote = await bareRemote(join(base.dir, "remote.git"));
  const sb = withRemote(base, { url: remote });
  const path = `${ns.name}/configmaps/settings.yaml`;

  const s = await startServing(sb, ["run", "-n", ns.name, "--quiet-period", "500ms"]);
  try {
    await pushedAsCluster(s, remote, sb.repo, path, ns.name, "settings", { v: "1" });

    // Someone adds a file shiplog does not own, while it runs.
    const readme = "# Cluster history\n\nRecorded by shiplog; this file is not.\n";
    const addReadme = await foreignCommit(remote, { "README.md": readme }, "add a README");
    await cluster.patch(ns.name, "configmap/settings", { data: { v: "2" } });
    let head = await pushedAsCluster(s, remote, sb.repo, path, ns.name, "settings", { v: "2" });
    assert.ok(await isAncestor(remote, addReadme, head), "the foreign commit is an ancestor of the head");
    assert.equal(await fileAt(remote, "README.md"), readme, "README.md is kept unchanged");

    // A true conflict: someone edits a file shiplog recorded, then the cluster changes it too.
    const recorded = (await fileAt(remote, path)) ?? "";
    const handEdited = recorded.replace(/^(\s+v: ).*$/m, "$1edited-by-hand");
    assert.notEqual(handEdited, recorded, `the recorded file has a data.v line:\n${recorded}`);
    const edit = await foreignCommit(remote, { [path]: handEdited }, "edit settings by hand");
    await cluster.patch(ns.name, "configmap/settings", { data: { v: "3" } });
    head = await pushedAsCluster(s, remote, sb.repo, path, ns.name, "settings", { v: "3" });
    assert.ok(await isAncestor(remote, edit, head), "the hand edit is an ancestor of the head");
    assert.equal(await fileAt(remote, "README.md"), readme, "README.md is still kept");
    const trailer = `Shiplog-Conflict: ${path} also changed on the remote; kept the cluster's state`;
    const messages = await messagesOf(remote);
    assert.ok(
      messages.some((m) => m.split("\n").includes(trailer)),
      `a commit carries "${trailer}"; messages:\n${messages.slice(0, 4).join("\n---\n")}`,
    );
    await assertOnlyFastForwards(remote);
    assert.match(s.logs(), /replayed local commits on top of them/);
    assert.doesNotMatch(s.logs(), /REMOTE HAS DIVERGED/);
    await stopClean(s);
  } finally {
    await s.stop().catch(() => undefined);
  }
});

it("shiplog snapshot into the repo of a running shiplog run, while a window is open, does not stop later commits", async (t) => {
  const quietMs = 4_000;
  await using ns = await cluster.namespace("snap-window");
  await kubectl(["-n", ns.name, "create", "configmap", "settings", "--from-literal=v=1"]);
  await kubectl(["-n", ns.name, "create", "configmap", "ticker", "--from-literal=n=0"]);
  const sb = cluster.sandbox("snap-window");
  const settings = `${ns.name}/configmaps/settings.yaml`;
  const second = `${ns.name}/configmaps/second.yaml`;
  const s = await startServing(sb, ["run", "-n", ns.name, "--quiet-period", `${quietMs}ms`]);
  const healthy = async (): Promise<void> => {
    const res = await fetch(`${s.ops}/healthz`);
    assert.equal(res.status, 200, `/healthz: ${await res.text()}`);
  };
  /** Waits until main records `name` as the cluster has it now. */
  const committed = (name: string, path: string): Promise<true> =>
    until(
      `${path} committed as the cluster has it`,
      quietMs + 25_000,
      async () =>
        isDeepStrictEqual(await recordedData(sb.repo, path), await clusterData(ns.name, name)) || undefined,
      { detail: () => s.logs().slice(-3000) },
    );
  try {
    await committed("settings", settings);
    const before = await headOf(sb.repo);

    // A change opens a window; the snapshot commits it first and moves the branch under the committer.
    // A change a second keeps the window open however long the snapshot takes.
    await cluster.patch(ns.name, "configmap/settings", { data: { v: "2" } });
    const windowOpened = Date.now();
    let snapshotDone = false;
    const snapshot = shiplog(sb, ["snapshot", "-n", ns.name], {}, 60_000).finally(
      () => (snapshotDone = true),
    );
    for (let tick = 1; !snapshotDone; tick++) {
      await cluster.patch(ns.name, "configmap/ticker", { data: { n: String(tick) } });
      await sleep(1_000);
    }
    const snap = await snapshot;
    assert.equal(snap.code, 0, `snapshot failed: ${snap.stderr}`);
    assert.match(snap.stdout, /^snapshot [0-9a-f]{12}: \d+ change\(s\)/, snap.stdout);
    t.diagnostic(`the snapshot committed ${Date.now() - windowOpened} ms after the window opened`);
    const parent = (await git(sb.repo, ["rev-parse", "main^"])).stdout.trim();
    assert.equal(parent, before, "the snapshot is the only commit since the window opened");
    assert.notEqual(await headOf(sb.repo), before, "the snapshot moved the branch");
    assert.deepEqual(await recordedData(sb.repo, settings), { v: "2" });

    // More changes in the same window, then one in a window of its own.
    await kubectl(["-n", ns.name, "create", "configmap", "second", "--from-literal=w=1"]);
    await cluster.patch(ns.name, "configmap/settings", { data: { v: "3" } });
    await committed("settings", settings);
    await committed("second", second);
    await committed("ticker", `${ns.name}/configmaps/ticker.yaml`);
    assert.match(
      s.logs(),
      /the branch moved under the committer; rebuilding the window on the new head/,
      "the committer met the moved branch (the scenario happened)",
    );
    await healthy();
    await cluster.patch(ns.name, "configmap/second", { data: { w: "2" } });
    await committed("second", second);
    await healthy();

    const logs = s.logs();
    const rebuilds = logs.match(/the branch moved under the committer/g) ?? [];
    assert.ok(
      rebuilds.length <= 3,
      `${rebuilds.length} rebuilds for one moved branch:\n${logs.slice(-3000)}`,
    );
    assert.doesNotMatch(logs, /committing a window failed/, "no window failed after the rebuild");
    const casFailures = logs.match(/old reference value does not match/g) ?? [];
    assert.ok(casFailures.length <= 3, `${casFailures.length} failed compare-and-swaps`);
    await stopClean(s);
  } finally {
    await s.stop().catch(() => undefined);
  }
});

it("a remote URL with credentials in it is refused at start-up, exit 2, naming repo.remote.url and not echoing the credential", async () => {
  const sb = cluster.sandbox("url-creds");
  for (const [url, secret] of [
    ["https://someone:tok-5e1f9a3c7b@127.0.0.1/x.git", "tok-5e1f9a3c7b"],
    ["https://ghp-8d2c4b6a0e@127.0.0.1/x.git", "ghp-8d2c4b6a0e"],
  ] as const) {
    const r = await shiplog(sb, ["run"], { SHIPLOG_REPO_REMOTE_URL: url }, 30_000);
    assert.equal(r.code, 2, `exit code for ${url.replace(secret, "***")}: ${r.stderr}`);
    const line = oneLineError(r);
    assert.match(line, /repo\.remote\.url/);
    assert.match(line, /must not contain credentials/);
    assert.ok(!(r.stdout + r.stderr).includes(secret), "the credential is not in the output");
  }
  // The same from a config file.
  const secret = "tok-0a7c3e9b1d";
  const config = join(sb.dir, "shiplog.yaml");
  writeFileSync(config, `repo:\n  remote:\n    url: https://x-access-token:${secret}@127.0.0.1/x.git\n`);
  const r = await shiplog(sb, ["run", "--config", config], {}, 30_000);
  assert.equal(r.code, 2, r.stderr);
  assert.match(oneLineError(r), /repo\.remote\.url: must not contain credentials/);
  assert.ok(!(r.stdout + r.stderr).includes(secret), "the credential is not in the output");
});
