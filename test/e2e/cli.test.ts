// The `shiplog` command against the shared real control plane, a real Redis and real git: run (the
// whole pipeline: control plane -> watcher -> Redis -> committer -> Git, checked against the cluster),
// SIGTERM, history, restore (plain, --apply, refusal of redacted Secrets, age decryption in encrypt
// mode), snapshot, doctor, config print (masked), version, --help, and the four start-up failures.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { ageKeygen, uniquePrefix } from "../harness/index.js";
import { oneLineError, shiplog, startServing, type Sandbox } from "./support/cli.js";
import { useCluster } from "./support/cluster.js";
import { fileAt, git } from "./support/git.js";
import { until } from "./support/until.js";

const SECRET_V1 = "cli-e2e-first-password-4d2f";
const SECRET_V2 = "cli-e2e-rotated-password-8b7a";
const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");

const cluster = useCluster();
const { kubectl } = cluster;

function assertNoPlaintext(text: string, where: string): void {
  for (const s of [SECRET_V1, SECRET_V2, b64(SECRET_V1), b64(SECRET_V2)]) {
    assert.equal(text.includes(s), false, `a Secret value appeared in ${where}`);
  }
}

describe("shiplog run, history and restore", () => {
  const ns = uniquePrefix("cli-run");
  let sb: Sandbox;

  before(async () => {
    sb = cluster.sandbox("run");
    await kubectl(["create", "namespace", ns]);
    await kubectl(["-n", ns, "create", "configmap", "settings", "--from-literal=LOG_LEVEL=info"]);
    await cluster.createSecret(ns, "db", { password: SECRET_V1 });
  });

  after(async () => {
    await cluster.cp.kubectl(["delete", "namespace", ns, "--wait=false", "--ignore-not-found"]);
  });

  it("pipeline: records the namespace, then each change as a commit by its field manager; the tree equals the cluster", async () => {
    const s = await startServing(sb, ["run", "-n", ns, "--quiet-period", "1s"]);
    try {
      // Ready means the initial sync is committed.
      const initial = await fileAt(sb.repo, `${ns}/configmaps/settings.yaml`);
      assert.ok(initial, "the initial sync is on main once /readyz is 200");
      assert.match(initial, /LOG_LEVEL: info/);

      await kubectl(
        ["apply", "--server-side", "--field-manager=ci-pipeline", "-f", "-"],
        `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${ns}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "nginx:1.27"}]}
`,
      );
      await until("web on main", 30_000, () => fileAt(sb.repo, `${ns}/deployments.apps/web.yaml`));
      await cluster.patch(ns, "deployment/web", { spec: { replicas: 3 } }, { fieldManager: "oncall-alice" });
      await until("replicas 3 on main", 30_000, async () =>
        (await fileAt(sb.repo, `${ns}/deployments.apps/web.yaml`))?.includes("replicas: 3"),
      );
      await cluster.patch(
        ns,
        "configmap/settings",
        { data: { LOG_LEVEL: "debug" } },
        { fieldManager: "kubectl-edit" },
      );
      await until("LOG_LEVEL debug on main", 30_000, async () =>
        (await fileAt(sb.repo, `${ns}/configmaps/settings.yaml`))?.includes("debug"),
      );
      const rotated = await cluster.createSecret(ns, "db", { password: SECRET_V2 }, [
        "--dry-run=client",
        "-o",
        "yaml",
      ]);
      await kubectl(
        ["apply", "--server-side", "--force-conflicts", "--field-manager=vault-rotator", "-f", "-"],
        rotated,
      );
      const secretPath = `${ns}/secrets/db.yaml`;
      const before = await fileAt(sb.repo, secretPath);
      await until("the rotated secret on main", 30_000, async () => {
        const now = await fileAt(sb.repo, secretPath);
        return now !== undefined && now !== before;
      });

      const log = (await git(sb.repo, ["log", "--format=%an <%ae>|%s", "main"])).stdout;
      assert.match(log, /^oncall-alice </m, "the scale is attributed to its field manager");
      assert.match(log, /^ci-pipeline </m);
      assert.match(log, /^vault-rotator </m);

      // The tree equals the cluster for these types in the namespace.
      for (const [type, kind] of [
        ["configmaps", "configmaps"],
        ["secrets", "secrets"],
        ["deployments.apps", "deployments"],
      ] as const) {
        const live = (await kubectl(["-n", ns, "get", kind, "-o", "jsonpath={.items[*].metadata.name}"]))
          .split(/\s+/)
          .filter(Boolean)
          .sort();
        const files = (await git(sb.repo, ["ls-tree", "--name-only", `main:${ns}/${type}`])).stdout
          .split("\n")
          .filter(Boolean)
          .map((f) => f.replace(/\.yaml$/, ""))
          .sort();
        assert.deepEqual(files, live, `${type} in ${ns}`);
      }
      const web = parse((await fileAt(sb.repo, `${ns}/deployments.apps/web.yaml`)) ?? "") as {
        spec: { replicas: number };
      };
      assert.equal(
        web.spec.replicas,
        Number(await kubectl(["-n", ns, "get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"])),
      );

      // /metrics carries the pipeline's counters.
      const metrics = await (await fetch(`${s.ops}/metrics`)).text();
      assert.match(metrics, /^shiplog_watcher_events_total\{/m);
      assert.match(metrics, /^shiplog_committer_events_total \d+/m);
      assert.match(metrics, /^# TYPE shiplog_notifier_/m);
      assert.equal((await fetch(`${s.ops}/healthz`)).status, 200);

      // SIGTERM: a change made just before is still committed, then exit 0.
      await kubectl(["-n", ns, "create", "configmap", "last-minute", "--from-literal=k=v"]);
      await until("the watcher saw last-minute", 10_000, async () => {
        const m = await (await fetch(`${s.ops}/metrics`)).text();
        return /shiplog_watcher_enqueued_total\{type="configmaps",op="added"\} [1-9]/.test(m);
      });
      const code = await s.stop();
      assert.equal(code, 0, `exit code on SIGTERM. Output:\n${s.logs().slice(-2000)}`);
      assert.ok(
        await fileAt(sb.repo, `${ns}/configmaps/last-minute.yaml`),
        "the open window was committed on SIGTERM",
      );

      // Nothing secret in logs or in any Git object.
      assertNoPlaintext(s.logs(), "the logs");
      for (const line of s
        .logs()
        .split("\n")
        .filter((l) => l.startsWith("{")))
        JSON.parse(line);
      const all = (await git(sb.repo, ["log", "-p", "--all"])).stdout;
      assertNoPlaintext(all, "the repository");
    } finally {
      await s.stop().catch(() => undefined);
    }
  });

  it("history shows the object's commits with diffs, by type alias and namespace", async () => {
    const r = await shiplog(sb, ["history", "deploy/web", "-n", ns, "--no-color"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`# ${ns}/deployments.apps/web.yaml`));
    assert.match(r.stdout, /Author: oncall-alice </);
    assert.match(r.stdout, /^- {2}replicas: 1$/m);
    assert.match(r.stdout, /^\+ {2}replicas: 3$/m);
    const missing = await shiplog(sb, ["history", "deploy/nope", "-n", ns]);
    assert.notEqual(missing.code, 0);
    assert.match(oneLineError(missing), /never recorded/);
  });

  it("restore prints an old manifest and --apply puts it back with field manager shiplog-restore", async () => {
    const first =
      (
        await git(sb.repo, [
          "log",
          "--format=%H",
          "--reverse",
          "main",
          "--",
          `${ns}/configmaps/settings.yaml`,
        ])
      ).stdout.split("\n")[0] ?? "";
    const r = await shiplog(sb, ["restore", "configmap/settings", "-n", ns, "--from", first]);
    assert.equal(r.code, 0, r.stderr);
    const doc = parse(r.stdout) as { data: Record<string, string>; metadata: { name: string } };
    assert.equal(doc.data["LOG_LEVEL"], "info");
    const applied = await shiplog(sb, [
      "restore",
      "cm/settings",
      "-n",
      ns,
      "--from",
      first,
      "--apply",
      "--force-conflicts",
    ]);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /restored from/);
    assert.equal(
      await kubectl(["-n", ns, "get", "cm", "settings", "-o", "jsonpath={.data.LOG_LEVEL}"]),
      "info",
    );
    const managers = await kubectl([
      "-n",
      ns,
      "get",
      "cm",
      "settings",
      "--show-managed-fields",
      "-o",
      "jsonpath={.metadata.managedFields[*].manager}",
    ]);
    assert.match(managers, /shiplog-restore/);
    const badRev = await shiplog(sb, ["restore", "cm/settings", "-n", ns, "--from", "no-such-rev"]);
    assert.notEqual(badRev.code, 0);
    assert.match(oneLineError(badRev), /no-such-rev/);
  });

  it("restore refuses a redacted Secret with a clear message", async () => {
    const r = await shiplog(sb, ["restore", "secret/db", "-n", ns, "--from", "main"]);
    assert.notEqual(r.code, 0);
    assert.match(oneLineError(r), /redacted.*cannot be restored/);
    assert.equal(r.stdout, "");
    const raw = await fileAt(sb.repo, `${ns}/secrets/db.yaml`);
    assert.match(raw ?? "", /shiplog:hmac-sha256:/);
  });
});

describe("shiplog snapshot and encrypt mode", () => {
  const ns = uniquePrefix("cli-snap");

  before(async () => {
    await kubectl(["create", "namespace", ns]);
    await cluster.createSecret(ns, "api", { password: SECRET_V1 });
    await kubectl(["-n", ns, "create", "configmap", "c1", "--from-literal=a=1"]);
    // The controller-manager adds the `default` ServiceAccount and the `kube-root-ca.crt` ConfigMap to
    // a new namespace shortly after it exists; the first snapshot must see them, or the second one
    // rightly records them as a change.
    const { cp } = cluster;
    await until(
      `namespace ${ns} to get its default ServiceAccount and root CA ConfigMap`,
      30_000,
      async () => {
        const sa = await cp.kubectl(["-n", ns, "get", "serviceaccount", "default"]);
        const ca = await cp.kubectl(["-n", ns, "get", "configmap", "kube-root-ca.crt"]);
        return sa.code === 0 && ca.code === 0;
      },
    );
  });

  after(async () => {
    await cluster.cp.kubectl(["delete", "namespace", ns, "--wait=false", "--ignore-not-found"]);
  });

  it("writes one commit equal to the cluster, then nothing when unchanged; restore decrypts only with the age identity", async () => {
    const key = await ageKeygen();
    const other = await ageKeygen();
    const sb = cluster.sandbox("snap");
    const env = { SHIPLOG_SECRETS_MODE: "encrypt", SHIPLOG_AGE_RECIPIENTS: key.recipient };
    const r = await shiplog(sb, ["snapshot", "-n", ns], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^snapshot [0-9a-f]{12}: \d+ change\(s\)/);
    assert.equal((await git(sb.repo, ["rev-list", "--count", "main"])).stdout.trim(), "1");
    assert.ok(await fileAt(sb.repo, `${ns}/configmaps/c1.yaml`));
    const stored = (await fileAt(sb.repo, `${ns}/secrets/api.yaml`)) ?? "";
    assert.match(stored, /ENC\[AES256_GCM,/);
    assertNoPlaintext(stored, "the encrypted Secret file");
    assertNoPlaintext(r.stdout + r.stderr, "snapshot's output");

    const again = await shiplog(sb, ["snapshot", "-n", ns], env);
    assert.equal(again.code, 0, again.stderr);
    // The snapshot covers cluster-scoped types too, and other tests share this cluster (a namespace
    // they deleted may finish vanishing in between). Nothing of this test's namespace may change, and
    // in particular the encrypted Secret must not be re-encrypted.
    if (!/^no changes/.test(again.stdout)) {
      const touched = (await git(sb.repo, ["diff", "--name-only", "main~1", "main", "--", `${ns}/`])).stdout;
      assert.equal(touched.trim(), "", `the second snapshot changed files of ${ns}: ${again.stdout}`);
    }

    const noId = await shiplog(sb, ["restore", "secret/api", "-n", ns, "--from", "main"], env);
    assert.notEqual(noId.code, 0);
    assert.match(oneLineError(noId), /encrypted.*--age-identity/);
    const wrong = await shiplog(
      sb,
      ["restore", "secret/api", "-n", ns, "--from", "main", "--age-identity", other.identityFile],
      env,
    );
    assert.notEqual(wrong.code, 0);
    assert.match(oneLineError(wrong), /none of the given age identities/);
    const ok = await shiplog(sb, ["restore", "secret/api", "-n", ns, "--from", "main"], {
      ...env,
      SOPS_AGE_KEY_FILE: key.identityFile,
    });
    assert.equal(ok.code, 0, ok.stderr);
    const doc = parse(ok.stdout) as {
      data: Record<string, string>;
      sops?: unknown;
      metadata: { annotations?: Record<string, string> };
    };
    assert.equal(doc.data["password"], b64(SECRET_V1));
    assert.equal(doc.sops, undefined);
    assert.equal(doc.metadata.annotations?.["shiplog.dev/fingerprints"], undefined);
  });
});

describe("shiplog doctor, config print, version, --help", () => {
  it("doctor reports every check and exits 0 when all pass", async () => {
    const sb = cluster.sandbox("doctor");
    const r = await shiplog(sb, ["doctor"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const check of ["config", "kubeconfig", "apiserver", "rbac", "redis", "repo", "remote", "keys"]) {
      assert.match(r.stdout, new RegExp(`^\\[ok  \\] ${check}: `, "m"), `${check} ok`);
    }
    assert.match(r.stdout, /all checks passed/);
  });

  it("doctor names what is wrong and how to fix it", async () => {
    const sb = cluster.sandbox("doctor-bad", "redis://127.0.0.1:1");
    const nobody = await cluster.cp.userKubeconfig(uniquePrefix("nobody"));
    const r = await shiplog(sb, ["doctor", "--kubeconfig", nobody], {
      SHIPLOG_REPO_REMOTE_URL: "/nonexistent/remote.git",
    });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^\[FAIL\] redis: cannot reach Redis at redis:\/\/127\.0\.0\.1:1/m);
    assert.match(r.stdout, /^\[FAIL\] rbac: .*may not list and watch/m);
    assert.match(r.stdout, /^\[FAIL\] remote: /m);
    assert.match(r.stdout, /^ {7}fix: /m);
  });

  it("config print shows the effective config with secrets masked", async () => {
    const sb = cluster.sandbox("config", "redis://:redis-pass-c0ffee@127.0.0.1:6379");
    const file = join(sb.dir, "shiplog.yaml");
    writeFileSync(file, "secrets:\n  hmacKey: hmac-key-value-0123456789\ncommitter:\n  quietPeriod: 2s\n");
    const r = await shiplog(sb, ["config", "print", "--config", file, "--show-sources", "-n", "team-a"]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /redis-pass-c0ffee|hmac-key-value/);
    const doc = parse(r.stdout) as {
      redis: { url: string };
      committer: { quietPeriod: number };
      watch: { include: { namespaces: string[] } };
    };
    assert.match(doc.redis.url, /\*\*\*\*\*/);
    assert.equal(doc.committer.quietPeriod, 2000);
    assert.deepEqual(doc.watch.include.namespaces, ["team-a"]);
    assert.match(r.stdout, /# {3}redis\.url: SHIPLOG_REDIS_URL/);
  });

  it("version and --help of every command", async () => {
    const sb = cluster.sandbox("help");
    const v = await shiplog(sb, ["version"]);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^shiplog \d+\.\d+\.\d+ \(node v24/);
    for (const c of [
      "run",
      "watch",
      "commit",
      "notify",
      "snapshot",
      "history",
      "restore",
      "doctor",
      "config",
      "config print",
      "config reference",
      "version",
    ]) {
      const h = await shiplog(sb, [...c.split(" "), "--help"]);
      assert.equal(h.code, 0, `${c} --help`);
      assert.match(h.stdout, new RegExp(`^Usage: shiplog ${c} `, "m"));
    }
  });
});

describe("start-up failures: one line naming the problem, non-zero exit, no stack trace", () => {
  it("bad config", async () => {
    const sb = cluster.sandbox("fail-config");
    const file = join(sb.dir, "bad.yaml");
    writeFileSync(file, "committer:\n  quietPeriod: soon\n");
    const r = await shiplog(sb, ["run", "--config", file]);
    assert.equal(r.code, 2);
    assert.match(oneLineError(r), /committer\.quietPeriod.*bad\.yaml/);
    const unknown = await shiplog(sb, ["run"], { SHIPLOG_SECRETS_MODE: "plain" });
    assert.equal(unknown.code, 2);
    assert.match(oneLineError(unknown), /secrets\.mode.*SHIPLOG_SECRETS_MODE/);
  });

  it("unreachable Redis", async () => {
    const sb = cluster.sandbox("fail-redis", "redis://127.0.0.1:1");
    const r = await shiplog(sb, ["run"]);
    assert.equal(r.code, 3);
    assert.match(oneLineError(r), /cannot reach Redis at redis:\/\/127\.0\.0\.1:1: connection refused/);
  });

  it("unreachable apiserver", async () => {
    const sb = cluster.sandbox("fail-apiserver");
    const kc = join(sb.dir, "dead.kubeconfig");
    writeFileSync(
      kc,
      `apiVersion: v1
kind: Config
clusters: [{name: dead, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: dead, context: {cluster: dead, user: u}}]
current-context: dead
`,
    );
    const r = await shiplog(sb, ["run", "--kubeconfig", kc]);
    assert.equal(r.code, 3);
    assert.match(oneLineError(r), /cannot reach the Kubernetes API server at https:\/\/127\.0\.0\.1:1/);
    const ctx = await shiplog(sb, ["run", "--kubeconfig", kc, "--context", "nope"]);
    assert.equal(ctx.code, 2);
    assert.match(oneLineError(ctx), /context "nope" is not in the kubeconfig \(available: dead\)/);
  });

  it("kubeconfig without list rights", async () => {
    const sb = cluster.sandbox("fail-rbac");
    const nobody = await cluster.cp.userKubeconfig(uniquePrefix("nobody"));
    const r = await shiplog(sb, ["run", "--kubeconfig", nobody]);
    assert.equal(r.code, 4);
    assert.match(oneLineError(r), /may not list and watch any of the \d+ resource types/);
  });
});
