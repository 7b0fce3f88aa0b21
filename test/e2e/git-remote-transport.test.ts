// Verified transport to the remote (issue 12, item 3): an HTTPS remote whose certificate the system
// does not trust is refused, nothing reaches it and the token is in no log line; with its CA configured
// (repo.remote.caFile) the same commits are pushed. An SSH remote whose host key differs from
// known_hosts is refused with OpenSSH's host-key error and gets nothing; with the right key it gets the
// history. Real components: the shared kube-apiserver, Redis, `git http-backend` behind TLS and OpenSSH's
// sshd on loopback, and the built `shiplog run`.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { startServing, type Running, type Sandbox } from "./support/cli.js";
import { useCluster } from "./support/cluster.js";
import { fileAt } from "./support/git.js";
import {
  bareRemote,
  headOf,
  httpBackendPath,
  sshdPath,
  startHttpsGitServer,
  startSshGitServer,
  withRemote,
  type RemoteSettings,
} from "./support/git-servers.js";
import { until } from "./support/until.js";

const cluster = useCluster();
const { kubectl } = cluster;

const TOKEN = "tok-e2e-7b3d9f1a5c";

/** Runs shiplog on `ns` with `settings` until at least two pushes failed; returns its logs. */
async function refusedPushes(sb: Sandbox, ns: string, settings: RemoteSettings): Promise<string> {
  const s = await startServing(withRemote(sb, settings), ["run", "-n", ns, "--quiet-period", "500ms"]);
  try {
    await until(
      "two refused pushes",
      30_000,
      () => (s.logs().match(/push failed; will retry/g) ?? []).length >= 2,
      { detail: () => s.logs().slice(-3000) },
    );
    assert.equal(await s.stop(), 0, s.logs().slice(-3000));
    return s.logs();
  } finally {
    await s.stop().catch(() => undefined);
  }
}

/** Runs shiplog on `ns` with `settings` until the remote's main is the local head and has `path`. */
async function pushes(
  sb: Sandbox,
  ns: string,
  settings: RemoteSettings,
  remote: string,
  path: string,
): Promise<string> {
  const s: Running = await startServing(withRemote(sb, settings), [
    "run",
    "-n",
    ns,
    "--quiet-period",
    "500ms",
  ]);
  try {
    await until(
      "the local history on the remote",
      30_000,
      async () => {
        const head = await headOf(remote);
        return (
          head !== undefined && head === (await headOf(sb.repo)) && (await fileAt(remote, path)) !== undefined
        );
      },
      { detail: () => s.logs().slice(-3000) },
    );
    assert.equal(await s.stop(), 0, s.logs().slice(-3000));
    return s.logs();
  } finally {
    await s.stop().catch(() => undefined);
  }
}

it(
  "an HTTPS remote with an untrusted certificate is refused without leaking the token; with its CA configured shiplog pushes",
  { skip: existsSync(httpBackendPath) ? false : `${httpBackendPath} not installed (apt package git)` },
  async () => {
    await using ns = await cluster.namespace("https-remote");
    await kubectl(["-n", ns.name, "create", "configmap", "settings", "--from-literal=v=1"]);
    const sb = cluster.sandbox("https-remote");
    const served = join(sb.dir, "served");
    const certs = join(sb.dir, "certs");
    mkdirSync(served);
    mkdirSync(certs);
    const remote = await bareRemote(join(served, "history.git"));
    await using server = await startHttpsGitServer(served, certs, { user: "x-access-token", token: TOKEN });
    const tokenFile = join(sb.dir, "git-token");
    writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    const settings = { url: `${server.origin}/history.git`, tokenFile };
    const path = `${ns.name}/configmaps/settings.yaml`;

    const refused = await refusedPushes(sb, ns.name, settings);
    assert.match(
      refused,
      /server certificate verification failed|SSL certificate problem/,
      "the log says the certificate was the problem",
    );
    assert.equal(await headOf(remote), undefined, "nothing reached the remote");
    assert.equal(server.requests.length, 0, "no request got past the TLS handshake");
    assert.ok(!refused.includes(TOKEN), "the token is in no log line");
    assert.ok(await fileAt(sb.repo, path), "shiplog kept committing locally");

    const logs = await pushes(sb, ns.name, { ...settings, caFile: server.caFile }, remote, path);
    assert.ok(
      server.requests.some((r) => r.path.startsWith("/history.git") && r.authorized),
      "the push carried the token",
    );
    assert.ok(!logs.includes(TOKEN), "the token is in no log line");
  },
);

it(
  "an SSH remote with a wrong host key is refused with a host-key error; with the right key shiplog pushes",
  { skip: existsSync(sshdPath) ? false : `${sshdPath} not installed (apt package openssh-server)` },
  async () => {
    await using ns = await cluster.namespace("ssh-remote");
    await kubectl(["-n", ns.name, "create", "configmap", "settings", "--from-literal=v=1"]);
    const sb = cluster.sandbox("ssh-remote");
    const sshDir = join(sb.dir, "sshd");
    mkdirSync(sshDir);
    await using server = await startSshGitServer(sshDir);
    const remote = await bareRemote(join(sb.dir, "remote.git"));
    const settings = { url: server.url(remote), sshKeyFile: server.clientKey };
    const path = `${ns.name}/configmaps/settings.yaml`;

    const refused = await refusedPushes(sb, ns.name, {
      ...settings,
      sshKnownHostsFile: server.wrongKnownHosts,
    });
    assert.match(refused, /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    assert.equal(await headOf(remote), undefined, "nothing reached the remote");
    assert.ok(await fileAt(sb.repo, path), "shiplog kept committing locally");

    await pushes(sb, ns.name, { ...settings, sshKnownHostsFile: server.knownHosts }, remote, path);
  },
);
