import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import type { OutgoingHttpHeaders } from "node:http";
import type { RequestOptions } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CliError } from "../cli-error.js";
import { loadKubeconfig, mergeKubeconfigs, parseKubeconfig } from "./kubeconfig.js";
import { EXEC_RENEW_BEFORE_MS, FILE_REREAD_MS } from "./kube-credentials.js";

const b64 = (s: string): string => Buffer.from(s).toString("base64");

function dir(): string {
  return mkdtempSync(join(tmpdir(), "shiplog-kubeconfig-"));
}

function kubeconfig(d: string, name: string, text: string): string {
  const file = join(d, name);
  writeFileSync(file, text);
  return file;
}

const TWO_CONTEXTS = `apiVersion: v1
kind: Config
current-context: a
clusters:
  - name: ca
    cluster:
      server: https://a.example:6443/
      certificate-authority: pki/ca.crt
  - name: cb
    cluster:
      server: https://b.example
      certificate-authority-data: ${b64("CA-B")}
      insecure-skip-tls-verify: false
      tls-server-name: api.b
users:
  - name: ua
    user:
      token: token-a
  - name: ub
    user:
      client-certificate-data: ${b64("CERT-B")}
      client-key-data: ${b64("KEY-B")}
      as: alice
      as-groups: [admins]
contexts:
  - name: a
    context: { cluster: ca, user: ua, namespace: team-a }
  - name: b
    context: { cluster: cb, user: ub }
`;

async function applied(kc: {
  applyToHTTPSOptions(o: RequestOptions): Promise<void>;
}): Promise<RequestOptions & { headers: OutgoingHttpHeaders }> {
  const opts: RequestOptions = { headers: {} };
  await kc.applyToHTTPSOptions(opts);
  return opts as RequestOptions & { headers: OutgoingHttpHeaders };
}

const configErr = (pattern: RegExp) => (err: unknown) => {
  assert.ok(err instanceof CliError, `a CliError, got ${String(err)}`);
  assert.match(err.message, pattern);
  return true;
};

describe("loadKubeconfig", () => {
  it("selects the current context, resolves relative paths against the file and strips the server's slash", async () => {
    const d = dir();
    mkdirSync(join(d, "pki"));
    writeFileSync(join(d, "pki", "ca.crt"), "CA-A");
    const kc = loadKubeconfig({ kubeconfig: kubeconfig(d, "config", TWO_CONTEXTS) }, {});
    assert.equal(kc.getCurrentContext(), "a");
    assert.equal(kc.getCurrentCluster().server, "https://a.example:6443");
    assert.equal(kc.cluster.caFile, join(d, "pki", "ca.crt"));
    assert.equal(kc.context.namespace, "team-a");
    const o = await applied(kc);
    assert.equal(String(o.ca), "CA-A");
    assert.equal(o.headers["Authorization"], "Bearer token-a");
    assert.equal(o.rejectUnauthorized, undefined, "TLS verification is left on");
  });

  it("--context picks another context: client certificate, CA data, TLS server name, impersonation", async () => {
    const d = dir();
    const kc = loadKubeconfig({ kubeconfig: kubeconfig(d, "config", TWO_CONTEXTS), context: "b" }, {});
    const o = await applied(kc);
    assert.equal(String(o.ca), "CA-B");
    assert.equal(String(o.cert), "CERT-B");
    assert.equal(String(o.key as Buffer), "KEY-B");
    assert.equal(o.servername, "api.b");
    assert.equal(o.headers["Impersonate-User"], "alice");
    assert.deepEqual(o.headers["Impersonate-Group"], ["admins"]);
    assert.equal(o.headers["Authorization"], undefined);
  });

  it("names what is wrong: missing file, unknown context, undefined cluster or user, bad YAML, a missing key", () => {
    const d = dir();
    assert.throws(
      () => loadKubeconfig({ kubeconfig: join(d, "nope") }, {}),
      configErr(/nope does not exist/),
    );
    const file = kubeconfig(d, "config", TWO_CONTEXTS);
    assert.throws(
      () => loadKubeconfig({ kubeconfig: file, context: "c" }, {}),
      configErr(/context "c" is not in the kubeconfig \(available: a, b\)/),
    );
    const noCluster = kubeconfig(
      d,
      "no-cluster",
      "current-context: x\ncontexts: [{ name: x, context: { cluster: gone, user: u } }]\nusers: [{ name: u, user: {} }]\n",
    );
    assert.throws(() => loadKubeconfig({ kubeconfig: noCluster }, {}), configErr(/names cluster "gone"/));
    const noUser = kubeconfig(
      d,
      "no-user",
      "current-context: x\ncontexts: [{ name: x, context: { cluster: c, user: gone } }]\nclusters: [{ name: c, cluster: { server: 'https://c' } }]\n",
    );
    assert.throws(() => loadKubeconfig({ kubeconfig: noUser }, {}), configErr(/names user "gone"/));
    const bad = kubeconfig(d, "bad", "clusters: [\n");
    assert.throws(() => loadKubeconfig({ kubeconfig: bad }, {}), configErr(/bad is not valid YAML/));
    const noServer = kubeconfig(d, "no-server", "clusters: [{ name: c, cluster: {} }]\n");
    assert.throws(
      () => loadKubeconfig({ kubeconfig: noServer }, {}),
      configErr(/no-server: clusters\[0\]\.cluster\.server is missing/),
    );
    const noCurrent = kubeconfig(d, "no-current", TWO_CONTEXTS.replace("current-context: a\n", ""));
    assert.throws(
      () => loadKubeconfig({ kubeconfig: noCurrent }, {}),
      configErr(/sets no current-context; pass --context \(available: a, b\)/),
    );
    assert.throws(
      () => loadKubeconfig({}, { HOME: d }, { serviceAccountDir: join(d, "no-sa") }),
      configErr(/no kubeconfig found/),
    );
  });

  it("merges a KUBECONFIG list as kubectl does: first definition and first current-context win, missing files skipped", () => {
    const d = dir();
    const first = kubeconfig(
      d,
      "first",
      "clusters: [{ name: c, cluster: { server: 'https://first' } }]\nusers: [{ name: u, user: { token: t1 } }]\n",
    );
    const second = kubeconfig(
      d,
      "second",
      "current-context: x\nclusters: [{ name: c, cluster: { server: 'https://second' } }]\n" +
        "contexts: [{ name: x, context: { cluster: c, user: u } }]\nusers: [{ name: u, user: { token: t2 } }]\n",
    );
    const kc = loadKubeconfig({}, { KUBECONFIG: `${join(d, "missing")}:${first}:${second}` });
    assert.equal(kc.getCurrentContext(), "x");
    assert.equal(kc.getCurrentCluster().server, "https://first");
    assert.equal(kc.user.token, "t1");
    const merged = mergeKubeconfigs([parseKubeconfig("", "empty"), parseKubeconfig(TWO_CONTEXTS, "/k")]);
    assert.equal(merged.currentContext, "a");
  });

  it("falls back to ~/.kube/config, then to the pod's service account (token re-read after a minute)", async () => {
    const home = dir();
    mkdirSync(join(home, ".kube"));
    kubeconfig(join(home, ".kube"), "config", TWO_CONTEXTS);
    assert.equal(loadKubeconfig({}, { HOME: home }).getCurrentContext(), "a");

    const sa = dir();
    writeFileSync(join(sa, "token"), "sa-token-1\n");
    writeFileSync(join(sa, "ca.crt"), "SA-CA");
    writeFileSync(join(sa, "namespace"), "shiplog");
    let now = 1_000_000;
    const env = { KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "443", HOME: dir() };
    const kc = loadKubeconfig({}, env, { serviceAccountDir: sa, credentials: { now: () => now } });
    assert.equal(kc.getCurrentContext(), "inClusterContext");
    assert.equal(kc.getCurrentCluster().server, "https://[fd00::1]:443");
    assert.equal(kc.context.namespace, "shiplog");
    let o = await applied(kc);
    assert.equal(o.headers["Authorization"], "Bearer sa-token-1");
    assert.equal(String(o.ca), "SA-CA");
    writeFileSync(join(sa, "token"), "sa-token-2\n");
    o = await applied(kc);
    assert.equal(
      o.headers["Authorization"],
      "Bearer sa-token-1",
      "within a minute the file is not read again",
    );
    now += FILE_REREAD_MS;
    o = await applied(kc);
    assert.equal(o.headers["Authorization"], "Bearer sa-token-2", "a rotated token is picked up");

    assert.throws(
      () => loadKubeconfig({}, { HOME: dir() }, { serviceAccountDir: sa }),
      configErr(/KUBERNETES_SERVICE_HOST/),
    );
  });

  it("runs an exec credential plugin with KUBERNETES_EXEC_INFO and keeps its credential until it expires", async () => {
    const d = dir();
    const count = join(d, "count");
    writeFileSync(count, "");
    const plugin = join(d, "bin", "plugin.sh");
    mkdirSync(join(d, "bin"));
    writeFileSync(
      plugin,
      `#!/bin/sh
echo x >> "${count}"
n=$(wc -l < "${count}" | tr -d ' ')
case "$KUBERNETES_EXEC_INFO" in *'"server":"https://e.example"'*) ;; *) echo "no cluster info" >&2; exit 3;; esac
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-%s-%s","expirationTimestamp":"%s"}}' "$n" "$PLUGIN_GREETING" "$EXPIRES"
`,
    );
    chmodSync(plugin, 0o755);
    const file = kubeconfig(
      d,
      "config",
      `current-context: e
clusters: [{ name: c, cluster: { server: "https://e.example" } }]
contexts: [{ name: e, context: { cluster: c, user: u } }]
users:
  - name: u
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1
        command: ./bin/plugin.sh
        env: [{ name: PLUGIN_GREETING, value: hi }]
        provideClusterInfo: true
        interactiveMode: Never
`,
    );
    const expires = new Date(Date.UTC(2030, 0, 1)).toISOString();
    let now = Date.parse(expires) - 3_600_000;
    const kc = loadKubeconfig(
      { kubeconfig: file },
      { PATH: process.env["PATH"], EXPIRES: expires },
      {
        credentials: { now: () => now },
      },
    );
    const [a, b] = await Promise.all([applied(kc), applied(kc)]);
    assert.equal(a.headers["Authorization"], "Bearer exec-1-hi");
    assert.equal(b.headers["Authorization"], "Bearer exec-1-hi", "concurrent requests share one plugin run");
    now = Date.parse(expires) - EXEC_RENEW_BEFORE_MS - 1;
    assert.equal((await applied(kc)).headers["Authorization"], "Bearer exec-1-hi");
    now += 2;
    assert.equal((await applied(kc)).headers["Authorization"], "Bearer exec-2-hi", "renewed before expiry");

    const failing = loadKubeconfig(
      { kubeconfig: file },
      { PATH: process.env["PATH"], EXPIRES: "not a time" },
      { credentials: { now: () => now } },
    );
    await assert.rejects(failing.applyToHTTPSOptions({}), /expirationTimestamp "not a time" is not a time/);
  });

  it("hands auth-provider users to client-node, which it imports only then", async () => {
    const d = dir();
    const token = join(d, "token");
    writeFileSync(token, "provider-token");
    const file = kubeconfig(
      d,
      "config",
      `current-context: p
clusters: [{ name: c, cluster: { server: "https://p.example" } }]
contexts: [{ name: p, context: { cluster: c, user: u } }]
users: [{ name: u, user: { auth-provider: { name: tokenFile, config: { tokenFile: "${token}" } } } }]
`,
    );
    const kc = loadKubeconfig({ kubeconfig: file }, {});
    assert.equal(kc.needsClientNode, true);
    assert.equal((await applied(kc)).headers["Authorization"], "Bearer provider-token");
  });
});
