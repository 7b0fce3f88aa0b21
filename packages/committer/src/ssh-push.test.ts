import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { gitHead, gitLog, tempDir, waitFor } from "./testing/fixtures.js";
import { configMap } from "./testing/messages.js";
import { prefixesDroppedAfter, startTestCommitter } from "./testing/start.js";
import type { RemoteOptions } from "./pusher.js";

const SSHD = "/usr/sbin/sshd";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

describe(
  "push over SSH to a real sshd on loopback",
  { skip: existsSync(SSHD) ? false : `${SSHD} not installed (apt package openssh-server)` },
  () => {
    const dir = tempDir("ssh");
    const prefix = prefixesDroppedAfter();
    let sshd: ChildProcess | undefined;
    let port = 0;
    const remote = join(dir.path, "remote.git");
    const clientKey = join(dir.path, "id_ecdsa");
    const knownHosts = join(dir.path, "known_hosts");

    before(async () => {
      port = await freePort();
      const hostKey = join(dir.path, "host_ed25519");
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
      execFileSync("ssh-keygen", ["-q", "-t", "ecdsa", "-b", "256", "-m", "PEM", "-N", "", "-f", clientKey]);
      writeFileSync(join(dir.path, "authorized_keys"), readFileSync(`${clientKey}.pub`));
      const [type, key] = readFileSync(`${hostKey}.pub`, "utf8").trim().split(/\s+/);
      writeFileSync(knownHosts, `[127.0.0.1]:${port} ${type} ${key}\n`);
      execFileSync("git", ["init", "--bare", "-q", "-b", "main", remote]);
      mkdirSync("/run/sshd", { recursive: true });
      const config = join(dir.path, "sshd_config");
      writeFileSync(
        config,
        [
          `ListenAddress 127.0.0.1`,
          `HostKey ${hostKey}`,
          `AuthorizedKeysFile ${join(dir.path, "authorized_keys")}`,
          `PidFile ${join(dir.path, "sshd.pid")}`,
          "PermitRootLogin prohibit-password",
          "PasswordAuthentication no",
          "KbdInteractiveAuthentication no",
          "PubkeyAuthentication yes",
          "StrictModes no",
          "UsePAM no",
          "",
        ].join("\n"),
      );
      sshd = spawn(SSHD, ["-D", "-e", "-f", config, "-p", String(port)], {
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      sshd.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
      await waitFor(`sshd listening (${stderr})`, () => stderr.includes("Server listening"), 10000);
    });

    after(() => {
      sshd?.kill("SIGTERM");
      dir[Symbol.dispose]();
    });

    /** The test sshd as the remote, with the client key, checking host keys against `knownHostsFile`. */
    const sshRemote = (
      knownHostsFile: string | undefined,
      extra: Partial<RemoteOptions> = {},
    ): RemoteOptions => ({
      url: `ssh://root@127.0.0.1:${port}${remote}`,
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
          url: `ssh://root@127.0.0.1:${port}${fresh}`,
          insecureAcceptUnknownHostKey: true,
        }),
      });
      await t.producer.send(configMap("ns", "accepted", { v: "1" }, { op: "added", manager: "helm" }));
      await waitFor("pushed", () => gitHead(fresh) !== undefined && gitHead(fresh) === gitHead(local), 30000);
      assert.ok(t.logger.has(/NOT verified/));
    });
  },
);
