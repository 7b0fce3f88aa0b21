import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gitHead, gitLog, tempDir, waitFor } from "./testing/fixtures.js";
import { configMap } from "./testing/messages.js";
import { sshdPath, startSshGitServer } from "./testing/ssh-git-server.js";
import type { SshGitServer } from "./testing/ssh-git-server.js";
import { prefixesDroppedAfter, startTestCommitter } from "./testing/start.js";
import type { RemoteOptions } from "./pusher.js";

describe(
  "push over SSH to a real sshd on loopback",
  { skip: existsSync(sshdPath) ? false : `${sshdPath} not installed (apt package openssh-server)` },
  () => {
    const dir = tempDir("ssh");
    const prefix = prefixesDroppedAfter();
    let server: SshGitServer | undefined;
    let port = 0;
    const remote = join(dir.path, "remote.git");
    let clientKey = "";
    let knownHosts = "";

    before(async () => {
      server = await startSshGitServer(dir.path);
      ({ port, clientKey, knownHosts } = server);
      execFileSync("git", ["init", "--bare", "-q", "-b", "main", remote]);
    });

    after(async () => {
      await server?.[Symbol.asyncDispose]();
      dir[Symbol.dispose]();
    });

    /** The test sshd as the remote, with the client key, checking host keys against `knownHostsFile`. */
    const sshRemote = (
      knownHostsFile: string | undefined,
      extra: Partial<RemoteOptions> = {},
    ): RemoteOptions => ({
      url: server?.url(remote) ?? "",
      sshKeyFile: clientKey,
      ...(knownHostsFile === undefined ? {} : { knownHostsFile }),
      pushIntervalMs: 50,
      retryBaseMs: 100,
      ...extra,
    });

    it("pushes with an SSH key, checking the host key against known_hosts", async () => {
      const local = join(dir.path, "local.git");
      await using t = await startTestCommitter(local, prefix("ssh"), { remote: sshRemote(knownHosts) });
      await t.producer.send(configMap("ns", "over-ssh", { v: "1" }, { op: "added", manager: "helm" }));
      await waitFor(
        "pushed over ssh",
        () => gitHead(remote) !== undefined && gitHead(remote) === gitHead(local),
        30000,
      ).catch((err: unknown) => {
        throw new Error(`${String(err)}; push status ${JSON.stringify(t.committer.status().push)}`);
      });
      assert.equal(gitLog(remote)[0]?.an, "helm");
    });

    it("refuses a host key that is not in known_hosts", async () => {
      const wrongHosts = join(dir.path, "known_hosts_wrong");
      writeFileSync(
        wrongHosts,
        `[127.0.0.1]:${port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n`,
      );
      const before = gitHead(remote);
      await using t = await startTestCommitter(join(dir.path, "local-2.git"), prefix("ssh-wrong"), {
        remote: sshRemote(wrongHosts),
      });
      await t.producer.send(configMap("ns", "never-pushed", { v: "1" }, { op: "added", manager: "helm" }));
      await waitFor("push refused", () => (t.committer.status().push?.failures ?? 0) >= 1);
      assert.equal(gitHead(remote), before);
      // OpenSSH refused the key on the connection that would have pushed.
      assert.match(t.committer.status().push?.lastError ?? "", /host key|Host key verification failed/i);
    });

    it("refuses an unknown host key without a known_hosts file unless told to accept it", async () => {
      const before = gitHead(remote);
      {
        await using t = await startTestCommitter(join(dir.path, "local-3.git"), prefix("ssh-none"), {
          remote: sshRemote(undefined),
        });
        await t.producer.send(configMap("ns", "unknown-key", { v: "1" }, { op: "added", manager: "helm" }));
        await waitFor("push refused", () => (t.committer.status().push?.failures ?? 0) >= 1);
        assert.match(t.committer.status().push?.lastError ?? "", /Host key verification failed/i);
        assert.equal(gitHead(remote), before);
      }
      const local = join(dir.path, "local-4.git");
      const fresh = join(dir.path, "remote-insecure.git");
      execFileSync("git", ["init", "--bare", "-q", "-b", "main", fresh]);
      await using t = await startTestCommitter(local, prefix("ssh-insecure"), {
        remote: sshRemote(undefined, {
          url: server?.url(fresh) ?? "",
          insecureAcceptUnknownHostKey: true,
        }),
      });
      await t.producer.send(configMap("ns", "accepted", { v: "1" }, { op: "added", manager: "helm" }));
      await waitFor("pushed", () => gitHead(fresh) !== undefined && gitHead(fresh) === gitHead(local), 30000);
      assert.ok(t.logger.has(/NOT verified/));
    });
  },
);
