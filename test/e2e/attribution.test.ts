// Identity attribution (issue 13, docs/adr/0036): commits name the Kubernetes user behind each change,
// from the apiserver's audit webhook or from a validating admission webhook, both sent to shiplog's
// HTTPS receiver. A private control plane (its apiserver needs audit flags) with static-token users
// alice and bob and a service account; the built CLI's `shiplog run`; the shared Redis (own prefix).
//   - audit: creates, patches, a scale, an impersonated patch (`--as`) and a delete, each committed
//     under the user who made it, with the trailers; a Secret logged at RequestResponse level never
//     leaves its value in Git, Redis or shiplog's logs;
//   - forged requests to the receiver are refused (401, 400; plain HTTP fails) and counted, and no
//     commit ever names the forged user;
//   - receiver down: a change is still committed within grace + quiet period, under its field manager,
//     and the commit says why;
//   - admission only: the same users through a ValidatingWebhookConfiguration; doctor names the source.
//   - receiver down after another user's write: the change is not credited to that previous writer.
// Loopback only; every wait is a bounded poll.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import { freePort, startControlPlane, type AuditWebhookTarget } from "../harness/index.js";
import {
  AUDIT_POLICY,
  bearerToken,
  forgedEventList,
  gitLogText,
  kubectlWith,
  metricSum,
  postReceiver,
  rbacYaml,
  receiverPki,
  recordedCommits,
  serviceAccountKubeconfig,
  trailerValues,
  webhookConfigYaml,
  type ReceiverPki,
  type RecordedCommit,
} from "./support/attribution.js";
import { gitObjectsText, leakedValues, redisText } from "./support/chaos.js";
import { shiplog, startServing, type Running, type Sandbox } from "./support/cli.js";
import { useCluster } from "./support/cluster.js";
import { httpCall } from "../harness/net.js";
import { until } from "./support/until.js";

const GRACE_MS = 5000;
const QUIET_MS = 1000;
/** How long one change may take to reach main: the audit batch wait, the quiet period, the grace. */
const COMMIT_MS = 30_000;
const ALICE = { username: "alice", name: "Alice Liddell", email: "alice@example.com" } as const;

describe("attribution: commits name the Kubernetes user (audit and admission)", () => {
  /** Certificates and the token file (the sandbox has its own directory). */
  let dir: string | undefined;
  let pki: ReceiverPki;
  let token: { token: string; file: string };
  /** Audit (the apiserver sends here), admission, and the "receiver moved" port. */
  const ports = { audit: 0, admission: 0, down: 0 };
  const cluster = useCluster({
    controlPlane: async () => {
      dir = mkdtempSync(join(tmpdir(), "shiplog-attribution-"));
      pki = await receiverPki(join(dir, "pki"));
      token = bearerToken(dir);
      const taken = new Set<number>();
      for (const k of ["audit", "admission", "down"] as const) {
        do ports[k] = await freePort();
        while (taken.has(ports[k]));
        taken.add(ports[k]);
      }
      const auditWebhook: AuditWebhookTarget = {
        url: `https://127.0.0.1:${ports.audit}/audit`,
        caFile: pki.caFile,
        token: token.token,
        batchMaxWait: "1s",
      };
      return startControlPlane({
        auditWebhook,
        auditPolicy: AUDIT_POLICY,
        staticTokenUsers: [{ user: "alice" }, { user: "bob" }],
      });
    },
  });

  let ns = "";
  let sa = "";
  const kc = { alice: "", bob: "", sa: "" };
  let sb: Sandbox;
  /** Every shiplog started here, for the scans and for after(). */
  const runs: Running[] = [];
  let current: Running | undefined;
  /** Plaintext Secret values the test wrote (never printed). */
  const secretValues: string[] = [];
  /** When alice's scale of the Deployment was committed (just before the receiver went down). */
  let aliceScaledAt = 0;

  const as = (who: keyof typeof kc, args: string[], input?: string): Promise<string> =>
    kubectlWith(cluster.cp, kc[who], ["-n", ns, ...args], input);

  before(async () => {
    ns = `attr-${Date.now().toString(36)}`;
    await cluster.kubectl(["create", "namespace", ns]);
    await cluster.kubectl(["-n", ns, "create", "serviceaccount", "deployer"]);
    sa = `system:serviceaccount:${ns}:deployer`;
    await cluster.kubectl(
      ["apply", "-f", "-"],
      rbacYaml(
        "shiplog-e2e-attribution",
        [
          { kind: "User", name: "alice" },
          { kind: "User", name: "bob" },
          { kind: "ServiceAccount", name: "deployer", namespace: ns },
        ],
        ["alice"],
      ),
    );
    kc.alice = await cluster.cp.tokenKubeconfig("alice");
    kc.bob = await cluster.cp.tokenKubeconfig("bob");
    kc.sa = await serviceAccountKubeconfig(cluster.cp, ns, "deployer");
    // The RBAC authorizer learns new bindings through an informer: wait until they apply.
    for (const [who, verb] of [
      ["alice", "create"],
      ["bob", "delete"],
      ["sa", "patch"],
    ] as const) {
      const resource = who === "sa" ? "deployments.apps/scale" : "configmaps";
      await until(`${who} may ${verb} ${resource}`, 30_000, async () => {
        const r = await as(who, ["auth", "can-i", verb, resource]).catch(() => "no");
        return r.trim() === "yes";
      });
    }
    sb = cluster.sandbox("attribution");
  });

  after(async () => {
    for (const r of runs) await r.stop().catch(() => undefined);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** Writes the config for one start: `sources`, the receiver on `port`, only namespace `ns`. */
  function config(label: string, sources: string[], port: number): string {
    const file = join(sb.dir, `shiplog-${label}.yaml`);
    writeFileSync(
      file,
      stringify({
        watch: { include: { namespaces: [ns], resources: ["configmaps", "secrets", "deployments.apps"] } },
        committer: { quietPeriod: `${QUIET_MS}ms` },
        attribution: {
          sources,
          grace: `${GRACE_MS}ms`,
          users: [ALICE],
          receiver: {
            listen: `127.0.0.1:${port}`,
            tlsCertFile: pki.certFile,
            tlsKeyFile: pki.keyFile,
            tokenFile: token.file,
          },
        },
      }),
    );
    return file;
  }

  async function start(label: string, sources: string[], port: number): Promise<Running> {
    const r = await startServing(sb, ["run", "--config", config(label, sources, port)]);
    runs.push(r);
    current = r;
    return r;
  }

  async function stopCurrent(): Promise<void> {
    const r = current;
    current = undefined;
    if (r !== undefined) assert.equal(await r.stop(), 0, r.logs().slice(-3000));
  }

  const cmPath = (name: string): string => `${ns}/configmaps/${name}.yaml`;
  const deployPath = (name: string): string => `${ns}/deployments.apps/${name}.yaml`;

  /** Runs `action`, then waits for the next commit touching `path` and returns it. */
  async function commitOf(path: string, action: () => Promise<unknown>): Promise<RecordedCommit> {
    const seen = (await recordedCommits(sb.repo, path)).length;
    await action();
    return until(
      `a commit of ${path}`,
      COMMIT_MS,
      async () => {
        const all = await recordedCommits(sb.repo, path);
        return all.length > seen ? all[0] : undefined;
      },
      { intervalMs: 250, detail: () => current?.logs().slice(-2000) ?? "" },
    );
  }

  interface Expected {
    name: string;
    email: string;
    attribution: string;
    user?: string;
    impersonator?: string;
    fieldManager?: string;
    /** The note trailer is there (fallback) or not. */
    note?: boolean;
  }

  /** Author and trailers of `c` as `want` says; on a mismatch the message carries the git log. */
  async function expectCommit(c: RecordedCommit, want: Expected, what: string): Promise<void> {
    const one = (k: string): string | undefined => trailerValues(c.body, k).join(", ") || undefined;
    const got: Record<string, unknown> = {
      name: c.authorName,
      email: c.authorEmail,
      attribution: one("Shiplog-Attribution"),
      user: one("Shiplog-User"),
      impersonator: one("Shiplog-Impersonator"),
      note: trailerValues(c.body, "Shiplog-Attribution-Note").length > 0,
    };
    const expected: Record<string, unknown> = {
      name: want.name,
      email: want.email,
      attribution: want.attribution,
      user: want.user,
      impersonator: want.impersonator,
      note: want.note ?? false,
    };
    if (want.fieldManager !== undefined) {
      got["fieldManager"] = trailerValues(c.body, "Shiplog-Field-Manager").includes(want.fieldManager);
      expected["fieldManager"] = true;
    }
    // An AdmissionReview carries no User-Agent; an audit event does.
    if (want.attribution === "audit") {
      got["userAgent"] = trailerValues(c.body, "Shiplog-User-Agent").some((ua) => ua.startsWith("kubectl"));
      expected["userAgent"] = true;
    }
    assert.deepEqual(
      got,
      expected,
      `${what}: commit ${c.sha.slice(0, 12)}\n${c.body}\n--- git log:\n${await gitLogText(sb.repo)}`,
    );
  }

  /** No Secret value the test wrote (plaintext or base64) in Git objects, shiplog's logs or Redis. */
  async function assertNoSecretLeak(): Promise<void> {
    assert.ok(secretValues.length > 0, "a Secret value to look for");
    assert.equal(
      leakedValues(secretValues.join("\n"), secretValues).length,
      secretValues.length,
      "the scan finds values",
    );
    const objects = await gitObjectsText(sb.repo);
    const keys = await redisText(cluster.redis.url, sb.prefix);
    const logs = runs.map((r) => r.logs()).join("\n");
    assert.ok(objects.objects > 0 && keys.keys > 0 && logs.length > 0, "scanned something");
    for (const [where, text] of [
      [`${objects.objects} Git objects`, objects.text],
      [`${keys.keys} Redis keys under ${sb.prefix}`, keys.text],
      ["shiplog's logs", logs],
    ] as const) {
      assert.deepEqual(leakedValues(text, secretValues), [], `a Secret value (by index) found in ${where}`);
    }
  }

  it("audit: each change is committed under the user who made it", { timeout: 150_000 }, async () => {
    const run = await start("audit", ["audit"], ports.audit);
    const app = cmPath("app");
    const manifest = (data: Record<string, string>): string =>
      JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "app" }, data });

    const created = await commitOf(app, () =>
      as("alice", ["apply", "-f", "-"], manifest({ colour: "blue", size: "small" })),
    );
    await expectCommit(
      created,
      { ...ALICE, attribution: "audit", user: "alice", fieldManager: "kubectl-client-side-apply" },
      "alice's create (kubectl apply, mapped user)",
    );

    const patched = await commitOf(app, () =>
      as("bob", ["patch", "configmap", "app", "--type=merge", "-p", '{"data":{"size":"large"}}']),
    );
    await expectCommit(
      patched,
      {
        name: "bob",
        email: "bob@shiplog.local",
        attribution: "audit",
        user: "bob",
        fieldManager: "kubectl-patch",
      },
      "bob's patch",
    );

    const impersonated = await commitOf(app, () =>
      as("alice", [
        "--as=bob",
        "patch",
        "configmap",
        "app",
        "--type=merge",
        "-p",
        '{"data":{"owner":"team-b"}}',
      ]),
    );
    await expectCommit(
      impersonated,
      { name: "bob", email: "bob@shiplog.local", attribution: "audit", user: "bob", impersonator: "alice" },
      "alice's patch as bob (kubectl --as)",
    );

    // Blame and log name the people.
    const blame = await shiplog(sb, ["blame", "-n", ns, "cm/app"]);
    assert.equal(blame.code, 0, blame.stderr);
    assert.match(blame.stdout, /\(Alice Liddell /, `alice's lines in the blame:\n${blame.stdout}`);
    assert.match(blame.stdout, /\(bob /, `bob's lines in the blame:\n${blame.stdout}`);
    assert.doesNotMatch(blame.stdout, /kubectl-/, `no field manager in the blame:\n${blame.stdout}`);
    const log = await shiplog(sb, ["log", "--user", "alice"]);
    assert.equal(log.code, 0, log.stderr);
    assert.ok(log.stdout.includes(created.sha), `shiplog log --user alice lists the create:\n${log.stdout}`);
    assert.ok(
      !log.stdout.includes(patched.sha),
      `shiplog log --user alice leaves bob's patch out:\n${log.stdout}`,
    );

    // A service account creates and scales a Deployment (no controller-manager: no pods, no status).
    const web = deployPath("web");
    const deployed = await commitOf(web, () =>
      as("sa", ["create", "deployment", "web", "--image=registry.invalid/web:1"]),
    );
    const saAuthor = { name: sa, email: `sa.${ns}-deployer@shiplog.local`, attribution: "audit", user: sa };
    await expectCommit(
      deployed,
      { ...saAuthor, fieldManager: "kubectl-create" },
      "the service account's create",
    );
    const scaled = await commitOf(web, () => as("sa", ["scale", "deployment/web", "--replicas=3"]));
    await expectCommit(scaled, saAuthor, "the service account's scale");

    // A Secret, logged at RequestResponse level: under alice, and its value nowhere.
    const value = `attr-secret-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    secretValues.push(value);
    const secret = await commitOf(`${ns}/secrets/creds.yaml`, () =>
      as("alice", ["create", "secret", "generic", "creds", `--from-literal=password=${value}`]),
    );
    await expectCommit(secret, { ...ALICE, attribution: "audit", user: "alice" }, "alice's Secret");
    await assertNoSecretLeak();

    // The delete: bob, not "unknown".
    const deleted = await commitOf(app, () => as("bob", ["delete", "configmap", "app"]));
    assert.match(deleted.subject, /^delete /, deleted.subject);
    await expectCommit(
      deleted,
      { name: "bob", email: "bob@shiplog.local", attribution: "audit", user: "bob" },
      "bob's delete",
    );

    assert.ok((await metricSum(run.ops, "shiplog_attribution_changes_total", { source: "audit" })) >= 7);
    assert.ok(
      (await metricSum(run.ops, "shiplog_attribution_requests_total", { endpoint: "audit", result: "ok" })) >
        0,
    );
    assert.ok((await metricSum(run.ops, "shiplog_attribution_match_delay_seconds_count")) >= 7);
  });

  it("forged requests to the receiver are refused and counted", { timeout: 60_000 }, async () => {
    const run = current;
    assert.ok(run !== undefined, "shiplog from the audit test is running");
    const url = `https://127.0.0.1:${ports.audit}/audit`;
    const unauthorized0 = await metricSum(run.ops, "shiplog_attribution_requests_total", {
      endpoint: "audit",
      result: "unauthorized",
    });
    const bad0 = await metricSum(run.ops, "shiplog_attribution_requests_total", {
      endpoint: "audit",
      result: "bad_request",
    });
    const forged = forgedEventList("mallory", ns, "forged");
    assert.equal((await postReceiver(url, pki.caPem, { body: forged })).status, 401, "no token");
    assert.equal(
      (await postReceiver(url, pki.caPem, { body: forged, token: "wrong" })).status,
      401,
      "wrong token",
    );
    assert.equal(
      (await postReceiver(url, pki.caPem, { body: forged, token: `${token.token}x` })).status,
      401,
      "a token one character off",
    );
    await assert.rejects(
      httpCall(`http://127.0.0.1:${ports.audit}/audit`, { method: "POST", body: forged, timeoutMs: 5000 }),
      "plain HTTP to the TLS port",
    );
    assert.equal(
      (await postReceiver(url, pki.caPem, { body: "this is not JSON", token: token.token })).status,
      400,
      "a body that is not JSON, with the right token",
    );

    // A change of the object the forgery named: committed under the one who made it.
    const c = await commitOf(cmPath("forged"), () =>
      as("bob", ["create", "configmap", "forged", "--from-literal=k=v"]),
    );
    await expectCommit(
      c,
      { name: "bob", email: "bob@shiplog.local", attribution: "audit", user: "bob" },
      "after a forgery",
    );

    const unauthorized = await metricSum(run.ops, "shiplog_attribution_requests_total", {
      endpoint: "audit",
      result: "unauthorized",
    });
    const bad = await metricSum(run.ops, "shiplog_attribution_requests_total", {
      endpoint: "audit",
      result: "bad_request",
    });
    assert.ok(unauthorized - unauthorized0 >= 3, `unauthorized counted: ${unauthorized0} -> ${unauthorized}`);
    assert.ok(bad - bad0 >= 1, `bad_request counted: ${bad0} -> ${bad}`);
  });

  it(
    "receiver down: the field manager is credited within the grace, and the commit says so",
    { timeout: 90_000 },
    async () => {
      // An identity of the Deployment shortly before the receiver goes down (Metadata level: no
      // resourceVersion in the record); the next test changes it again while the receiver is down.
      const before = await commitOf(deployPath("web"), () =>
        as("alice", ["scale", "deployment/web", "--replicas=2"]),
      );
      aliceScaledAt = Date.now();
      await expectCommit(before, { ...ALICE, attribution: "audit", user: "alice" }, "alice's scale");
      await stopCurrent();
      // The apiserver still sends to ports.audit, where nothing listens now.
      const run = await start("down", ["audit"], ports.down);
      const t0 = Date.now();
      const c = await commitOf(cmPath("offline"), () =>
        as("alice", ["create", "configmap", "offline", "--from-literal=k=v"]),
      );
      const ms = Date.now() - t0;
      await expectCommit(
        c,
        {
          name: "kubectl-create",
          email: "kubectl-create@shiplog.local",
          attribution: "field-manager",
          fieldManager: "kubectl-create",
          note: true,
        },
        "a change while no identity arrives",
      );
      assert.ok(
        ms < 20_000,
        `committed ${ms} ms after the change (grace ${GRACE_MS} ms, quiet ${QUIET_MS} ms)`,
      );
      assert.ok(
        (await metricSum(run.ops, "shiplog_attribution_changes_total", { source: "field-manager" })) >= 1,
      );
      console.log(`attribution: receiver down: committed under the field manager after ${ms} ms`);
    },
  );

  it(
    "receiver down: a change is not credited to the previous writer of the object",
    { timeout: 60_000 },
    async () => {
      assert.ok(current !== undefined, "shiplog from the receiver-down test is running");
      const c = await commitOf(deployPath("web"), () =>
        as("bob", ["scale", "deployment/web", "--replicas=4"]),
      );
      const since = Math.round((Date.now() - aliceScaledAt) / 1000);
      assert.notEqual(
        c.authorEmail,
        ALICE.email,
        `bob's scale ${since}s after alice's, with no identity of its own, is credited to alice:\n${c.body}`,
      );
      assert.deepEqual(trailerValues(c.body, "Shiplog-Attribution"), ["field-manager"], c.body);
    },
  );

  it("admission: the same users through a validating webhook", { timeout: 150_000 }, async () => {
    await stopCurrent();
    const run = await start("admission", ["admission"], ports.admission);
    const webhook = "shiplog-e2e-attribution";
    await cluster.kubectl(
      ["apply", "-f", "-"],
      webhookConfigYaml(webhook, `https://127.0.0.1:${ports.admission}/admission`, pki.caPem, ns),
    );
    try {
      // The apiserver picks the configuration up through an informer: probe until reviews arrive.
      await cluster.kubectl(["-n", ns, "create", "configmap", "probe", "--from-literal=n=0"]);
      let n = 0;
      await until(
        "the webhook's first AdmissionReview at the receiver",
        30_000,
        async () => {
          if ((await metricSum(run.ops, "shiplog_attribution_requests_total", { endpoint: "admission" })) > 0)
            return true;
          await cluster.patch(ns, "configmap/probe", { data: { n: String(++n) } });
          return false;
        },
        { intervalMs: 500 },
      );

      const adm = cmPath("adm");
      const admission = (name: string, email: string, user: string): Expected => ({
        name,
        email,
        attribution: "admission",
        user,
      });
      const created = await commitOf(adm, () =>
        as("alice", ["create", "configmap", "adm", "--from-literal=k=v"]),
      );
      await expectCommit(
        created,
        { ...admission(ALICE.name, ALICE.email, "alice"), fieldManager: "kubectl-create" },
        "alice's create",
      );
      const patched = await commitOf(adm, () =>
        as("bob", ["patch", "configmap", "adm", "--type=merge", "-p", '{"data":{"k":"w"}}']),
      );
      await expectCommit(patched, admission("bob", "bob@shiplog.local", "bob"), "bob's patch");
      // Admission sees the impersonated user only: no impersonator trailer.
      const impersonated = await commitOf(adm, () =>
        as("alice", ["--as=bob", "patch", "configmap", "adm", "--type=merge", "-p", '{"data":{"k":"x"}}']),
      );
      await expectCommit(impersonated, admission("bob", "bob@shiplog.local", "bob"), "alice's patch as bob");
      const scaled = await commitOf(deployPath("web"), () =>
        as("sa", ["scale", "deployment/web", "--replicas=1"]),
      );
      await expectCommit(
        scaled,
        admission(sa, `sa.${ns}-deployer@shiplog.local`, sa),
        "the service account's scale",
      );
      const deleted = await commitOf(adm, () => as("bob", ["delete", "configmap", "adm"]));
      assert.match(deleted.subject, /^delete /, deleted.subject);
      await expectCommit(deleted, admission("bob", "bob@shiplog.local", "bob"), "bob's delete");
      assert.ok(
        (await metricSum(run.ops, "shiplog_attribution_changes_total", { source: "admission" })) >= 5,
      );

      // doctor names the active source and counts the recent commits by source.
      const doctor = await shiplog(sb, [
        "doctor",
        "-o",
        "json",
        "--config",
        config("admission", ["admission"], ports.admission),
      ]);
      const findings = (
        JSON.parse(doctor.stdout) as { findings: Array<{ check: string; status: string; message: string }> }
      ).findings.filter((f) => f.check === "attribution");
      assert.equal(findings.length, 1, doctor.stdout);
      assert.equal(findings[0]?.status, "ok", doctor.stdout);
      assert.match(findings[0]?.message ?? "", /admission active \(last identity \d+s ago\)/, doctor.stdout);
      assert.match(findings[0]?.message ?? "", /admission \d+/, doctor.stdout);
    } finally {
      await cluster.kubectl(["delete", "validatingwebhookconfiguration", webhook, "--ignore-not-found"]);
      await stopCurrent();
    }
  });

  it("no commit names the forged user, and no Secret value leaked anywhere", async () => {
    const all = await recordedCommits(sb.repo);
    assert.ok(all.length > 0);
    const mallory = all.filter((c) => /mallory/i.test(`${c.authorName} ${c.authorEmail} ${c.body}`));
    assert.deepEqual(
      mallory.map((c) => c.sha),
      [],
      `commits naming mallory:\n${await gitLogText(sb.repo)}`,
    );
    await assertNoSecretLeak();
    const by = new Map<string, number>();
    for (const c of all) {
      const source = trailerValues(c.body, "Shiplog-Attribution")[0] ?? "(none)";
      by.set(source, (by.get(source) ?? 0) + 1);
    }
    console.log(
      `attribution: ${all.length} commits on main by Shiplog-Attribution: ${[...by].map(([k, n]) => `${k} ${n}`).join(", ")}`,
    );
  });
});
