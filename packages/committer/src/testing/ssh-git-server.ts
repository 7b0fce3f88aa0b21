// A real SSH git remote for tests: OpenSSH's sshd on loopback with a throwaway host key, one authorized
// client key, and known_hosts files holding the right host key and a wrong one.
import { execFileSync, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { userInfo } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export const sshdPath = "/usr/sbin/sshd";

export interface SshGitServer extends AsyncDisposable {
  readonly port: number;
  /** Private key (no passphrase) the server accepts for the current user. */
  readonly clientKey: string;
  /** known_hosts file listing the server's real host key for `[127.0.0.1]:<port>`. */
  readonly knownHosts: string;
  /** known_hosts file listing another (real, freshly generated) key for the same host and port. */
  readonly wrongKnownHosts: string;
  /** `ssh://<current user>@127.0.0.1:<port><absolute path of a bare repository>`. */
  url(repoPath: string): string;
}

function freePort(): Promise<number> {
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

function keygen(file: string, ...type: string[]): void {
  execFileSync("ssh-keygen", ["-q", ...type, "-N", "", "-f", file]);
}

function knownHostsLine(port: number, pubFile: string): string {
  const [type, key] = readFileSync(pubFile, "utf8").trim().split(/\s+/);
  return `[127.0.0.1]:${port} ${type} ${key}\n`;
}

/**
 * Start sshd on a free loopback port with its keys and config in `dir`; resolves once it listens
 * (rejects after `timeoutMs`). Logging in as root needs `PermitRootLogin prohibit-password`, set here.
 */
export async function startSshGitServer(dir: string, timeoutMs = 10_000): Promise<SshGitServer> {
  const port = await freePort();
  const hostKey = join(dir, "host_ed25519");
  const otherHostKey = join(dir, "other_host_ed25519");
  const clientKey = join(dir, "id_ecdsa");
  keygen(hostKey, "-t", "ed25519");
  keygen(otherHostKey, "-t", "ed25519");
  keygen(clientKey, "-t", "ecdsa", "-b", "256", "-m", "PEM");
  const authorizedKeys = join(dir, "authorized_keys");
  writeFileSync(authorizedKeys, readFileSync(`${clientKey}.pub`));
  const knownHosts = join(dir, "known_hosts");
  writeFileSync(knownHosts, knownHostsLine(port, `${hostKey}.pub`));
  const wrongKnownHosts = join(dir, "known_hosts_wrong");
  writeFileSync(wrongKnownHosts, knownHostsLine(port, `${otherHostKey}.pub`));
  mkdirSync("/run/sshd", { recursive: true });
  const config = join(dir, "sshd_config");
  writeFileSync(
    config,
    [
      `ListenAddress 127.0.0.1`,
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      "PermitRootLogin prohibit-password",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PubkeyAuthentication yes",
      "StrictModes no",
      "UsePAM no",
      "",
    ].join("\n"),
  );
  const sshd: ChildProcess = spawn(sshdPath, ["-D", "-e", "-f", config, "-p", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  sshd.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => sshd.once("exit", () => resolve()));
  const deadline = Date.now() + timeoutMs;
  while (!stderr.includes("Server listening")) {
    if (sshd.exitCode !== null || Date.now() > deadline) {
      sshd.kill("SIGKILL");
      throw new Error(`sshd did not start listening on 127.0.0.1:${port}: ${stderr}`);
    }
    await sleep(50);
  }
  const user = userInfo().username;
  return {
    port,
    clientKey,
    knownHosts,
    wrongKnownHosts,
    url: (repoPath) => `ssh://${user}@127.0.0.1:${port}${repoPath}`,
    [Symbol.asyncDispose]: async () => {
      if (sshd.exitCode !== null || sshd.signalCode !== null) return;
      sshd.kill("SIGTERM");
      const late = await Promise.race([exited, sleep(5_000).then(() => "late" as const)]);
      if (late === "late") sshd.kill("SIGKILL");
    },
  };
}
