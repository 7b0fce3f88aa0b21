// No lost alert (issue 12, item 4; docs/adr/0034): `shiplog run` is killed with SIGKILL at each moment
// between a window's ref update and the acknowledgement of its jobs -- after the ref update (outbox
// not yet written), after the outbox is written (nothing published), after the publish (jobs not
// acknowledged) -- by a failpoint (SHIPLOG_FAILPOINTS), so the kill lands exactly there. After a restart
// the commit's alert reaches the webhook receiver at least once, and the change is in exactly one
// commit on main. Real control plane, Redis, git and the built CLI; the receiver is a loopback stand-in.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { FailpointNames, type FailpointName } from "@shiplog/core";
import { startServing, type Running, type Sandbox } from "./support/cli.js";
import { useCluster } from "./support/cluster.js";
import { fileAt, git } from "./support/git.js";
import { startReceiver, type Receiver } from "./support/receiver.js";
import { until } from "./support/until.js";

const cluster = useCluster();

/**
 * A config file with a webhook sink to `receiver`, short windows, and only ConfigMaps of namespace
 * `ns` recorded: a change elsewhere in the shared cluster (cluster-scoped objects are recorded whatever
 * the namespace filter) must not make a window at start, where the armed failpoint would fire first.
 */
function writeConfig(sb: Sandbox, ns: string, receiver: Receiver): string {
  const file = join(sb.dir, "shiplog.yaml");
  writeFileSync(
    file,
    [
      "watch:",
      `  include: { namespaces: [${ns}], resources: [configmaps] }`,
      "committer: { quietPeriod: 300ms, maxWindow: 2s, lockTtl: 3s }", // a killed committer's lock expires fast
      "notifier:",
      "  sinks:",
      `    - { name: hook, type: webhook, url: "${receiver.url}/hook", secret: alert-crash-signing-key-01 }`,
      "",
    ].join("\n"),
  );
  return file;
}

/** Resolves with the exit signal of a child that must die by SIGKILL within `ms`. */
async function killedWithin(s: Running, ms: number): Promise<NodeJS.Signals | null> {
  const child = s.child;
  if (child.exitCode !== null || child.signalCode !== null) return child.signalCode;
  return until(`shiplog to die at the failpoint within ${ms} ms`, ms, () => child.signalCode ?? false, {
    detail: () => s.logs().slice(-2000),
  });
}

/** The commits on main that touch `path`, oldest first. */
async function commitsTouching(repo: string, path: string): Promise<string[]> {
  const r = await git(repo, ["log", "--reverse", "--format=%H", "main", "--", path]);
  return r.stdout.split("\n").filter(Boolean);
}

const POINTS: readonly FailpointName[] = [
  FailpointNames.committerAfterRefUpdate,
  FailpointNames.committerBeforePublish,
  FailpointNames.committerBeforeAck,
];

describe("kill -9 between a commit and its alert", () => {
  for (const point of POINTS) {
    it(`delivers the alert at least once after a kill at ${point}`, async () => {
      await using ns = await cluster.namespace("alert-crash");
      await using receiver = await startReceiver();
      const sb = cluster.sandbox("alert-crash");
      const config = writeConfig(sb, ns.name, receiver);
      await cluster.kubectl(["-n", ns.name, "create", "configmap", "app", "--from-literal=v=1"]);

      // First run: the initial sync is committed (and alerted); then a clean stop.
      const first = await startServing(sb, ["run", "--config", config]);
      assert.equal(await first.stop(), 0, first.logs().slice(-2000));

      // Second run with the failpoint armed: nothing to commit at start, so it gets ready; the change
      // below makes the next window, which dies at the point.
      const armed = await startServing({ ...sb, env: { ...sb.env, SHIPLOG_FAILPOINTS: `${point}=kill` } }, [
        "run",
        "--config",
        config,
      ]);
      await cluster.patch(ns.name, "configmap/app", { data: { v: "2" } });
      assert.equal(await killedWithin(armed, 60_000), "SIGKILL");
      assert.match(armed.logs(), /SHIPLOG_FAILPOINTS is set/);

      const path = `${ns.name}/configmaps/app.yaml`;
      // At every point the ref has moved already: the change is on main before the restart.
      assert.match((await fileAt(sb.repo, path)) ?? "", /v: "2"/, `the change is on main at ${point}`);
      const changeSha = (await commitsTouching(sb.repo, path)).at(-1);
      assert.ok(changeSha !== undefined);

      // Third run, unarmed: the alert for the change commit arrives.
      // Ready only once the killed window's jobs are committed: the new term takes them back as soon as
      // it holds the lease (3 s here) and the fence (ADR 0037), before it consumes anything.
      const third = await startServing(sb, ["run", "--config", config], 150_000);
      try {
        await until(
          `the alert for ${changeSha.slice(0, 7)} (killed at ${point})`,
          90_000,
          () => receiver.commitShas().has(changeSha),
          {
            detail: () =>
              `received ${[...receiver.commitShas().keys()].join(", ")}\n${third.logs().slice(-2000)}`,
          },
        );
        // The jobs of the killed window are delivered again after the restart: they collapse into
        // the commit that already holds them, so the change is in exactly one commit.
        await cluster.patch(ns.name, "configmap/app", { data: { v: "3" } });
        await until("the next change on main", 60_000, async () =>
          /v: "3"/.test((await fileAt(sb.repo, path)) ?? ""),
        );
        const touching = await commitsTouching(sb.repo, path);
        const v2 = [];
        for (const sha of touching) if (/v: "2"/.test((await fileAt(sb.repo, path, sha)) ?? "")) v2.push(sha);
        assert.deepEqual(v2, [changeSha], "the change to v=2 is in one commit");
        await until("the alert for the next change", 60_000, () =>
          receiver.commitShas().has(touching.at(-1) ?? ""),
        );
      } finally {
        assert.equal(await third.stop(), 0, third.logs().slice(-2000));
      }
      const dupes = [...receiver.commitShas()].filter(([, n]) => n > 1).length;
      console.log(
        `alert-crash: ${point}: ${receiver.received.length} deliveries, ${dupes} commits alerted twice`,
      );
    });
  }
});
