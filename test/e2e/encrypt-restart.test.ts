// Encrypt mode across pod restarts (issue 12, item 7): the chart and the kustomize overlay mount a
// fingerprint key from a Secret (SHIPLOG_HMAC_KEY_FILE) while the state directory is an emptyDir that
// a restart empties. With the mounted key, a restart re-lists every Secret and commits none of them
// again; without it (a new key generated into the fresh state dir on each start, the old chart's
// behaviour) every Secret is re-committed -- the control case that shows the check can fail. Real
// control plane, Redis, git, age recipients and the built `shiplog run`.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ageKeygen } from "../harness/index.js";
import { startServing, type Sandbox } from "./support/cli.js";
import { useCluster } from "./support/cluster.js";
import { fileAt, git } from "./support/git.js";
import { until } from "./support/until.js";

const cluster = useCluster();
const VALUE = "encrypt-restart-plaintext-3c1e";
/** A start and a restart with an empty state dir. */
const STARTS = 2;

async function commitsTouching(repo: string, path: string): Promise<number> {
  const r = await git(repo, ["log", "--format=%H", "main", "--", path]);
  return r.stdout.split("\n").filter(Boolean).length;
}

/** `shiplog run` in encrypt mode until ready, then `after`, then a clean stop; a fresh state dir each time. */
async function runOnce(sb: Sandbox, env: NodeJS.ProcessEnv, after: () => Promise<void>): Promise<void> {
  const state = mkdtempSync(join(sb.dir, "state-")); // an emptyDir: new on every pod start
  const s = await startServing({ ...sb, env: { ...sb.env, ...env, XDG_STATE_HOME: state } }, ["run"]);
  try {
    await after();
  } finally {
    assert.equal(await s.stop(), 0, s.logs().slice(-2000));
  }
  assert.doesNotMatch(s.logs(), new RegExp(VALUE));
}

async function commitsOfSecretOverStarts(label: string, keyFile: string | undefined): Promise<number> {
  const age = await ageKeygen();
  await using ns = await cluster.namespace(label);
  await cluster.createSecret(ns.name, "db", { password: VALUE });
  await cluster.kubectl(["-n", ns.name, "create", "configmap", "app", "--from-literal=v=0"]);
  const sb = cluster.sandbox(label);
  const env: NodeJS.ProcessEnv = {
    SHIPLOG_SECRETS_MODE: "encrypt",
    SHIPLOG_AGE_RECIPIENTS: age.recipient,
    SHIPLOG_NAMESPACES: ns.name,
    SHIPLOG_QUIET_PERIOD: "300ms",
    SHIPLOG_MAX_WINDOW: "2s",
    SHIPLOG_LOCK_TTL: "3s",
    ...(keyFile !== undefined ? { SHIPLOG_HMAC_KEY_FILE: keyFile } : {}),
  };
  const secretPath = `${ns.name}/secrets/db.yaml`;
  const appPath = `${ns.name}/configmaps/app.yaml`;
  for (let start = 1; start <= STARTS; start++) {
    await runOnce(sb, env, async () => {
      // A later change, committed after the restart's re-list: every window of that re-list is done.
      await cluster.patch(ns.name, "configmap/app", { data: { v: String(start) } });
      await until(`configmap v=${start} on main`, 60_000, async () =>
        ((await fileAt(sb.repo, appPath)) ?? "").includes(`v: "${start}"`),
      );
    });
  }
  assert.match((await fileAt(sb.repo, secretPath)) ?? "", /ENC\[AES256_GCM/);
  const all = (await git(sb.repo, ["log", "-p", "--all"])).stdout;
  assert.ok(
    !all.includes(VALUE) && !all.includes(Buffer.from(VALUE).toString("base64")),
    "no plaintext in Git",
  );
  return commitsTouching(sb.repo, secretPath);
}

describe("encrypt mode across restarts", () => {
  it("commits a Secret once over a start and a restart, with the key mounted from a Secret", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shiplog-key-")); // the mounted Secret
    const keyFile = join(dir, "hmac.key");
    writeFileSync(keyFile, randomBytes(32).toString("base64"), { mode: 0o600 });
    assert.equal(await commitsOfSecretOverStarts("encrypt-restart", keyFile), 1);
  });

  it("control: without a mounted key every start re-commits the Secret", async () => {
    assert.equal(await commitsOfSecretOverStarts("encrypt-rekey", undefined), STARTS);
  });
});
