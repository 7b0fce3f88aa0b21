import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { promisify } from "node:util";
import NodeGit from "nodegit";
import type { Clock, Logger } from "@shiplog/core";
import { Backoff, maskUrlCredentials } from "@shiplog/core";
import { PushError } from "./errors/push-error.js";
import { RemoteDivergedError } from "./errors/remote-diverged-error.js";
import type { GitRepo } from "./git/repo.js";
import type { CommitterMetrics } from "./metrics.js";
import type { ResolvedRemote } from "./options.js";

export interface RemoteOptions {
  /** `ssh://user@host:port/path`, `user@host:path`, `https://...` or a local path of a bare repo. */
  readonly url: string;
  /** Private key for SSH remotes. */
  readonly sshKeyFile?: string;
  /** @defaultValue `${sshKeyFile}.pub` */
  readonly sshPublicKeyFile?: string;
  /** OpenSSH known_hosts file; when set, the server's host key must be listed in it. */
  readonly knownHostsFile?: string;
  /** HTTPS token (sent as the password). */
  readonly token?: string;
  /** User name for token auth. @defaultValue "x-access-token" */
  readonly tokenUser?: string;
  /** Wait this long after a commit before pushing, so that bursts are pushed together. @defaultValue `Defaults.pushIntervalMs` (10000) */
  readonly pushIntervalMs?: number;
  /**
   * First retry delay after a failed push; doubles per failure up to `retryMaxMs`, without jitter, and
   * starts again after a successful push. @defaultValue 1000
   */
  readonly retryBaseMs?: number;
  /** Longest delay between retries. @defaultValue 60000 */
  readonly retryMaxMs?: number;
}

export const PushStates = {
  idle: "idle",
  pushing: "pushing",
  retrying: "retrying",
  diverged: "diverged",
} as const;
export type PushState = (typeof PushStates)[keyof typeof PushStates];

export interface PushStatus {
  readonly state: PushState;
  readonly lastPushed: string | null;
  readonly lastError: string | undefined;
  readonly failures: number;
}

const GIT_ENONFASTFORWARD = -11;
const MAX_CREDENTIAL_ATTEMPTS = 3;

function isDivergence(err: unknown): boolean {
  const e = err as { errno?: number; message?: string } | undefined;
  return (
    e?.errno === GIT_ENONFASTFORWARD ||
    /non-?fast-?forward|not present locally|fetch first|\bstale info\b/i.test(e?.message ?? "")
  );
}

/** Base64 host keys listed for `host` (`host`, `[host]:port`) in an OpenSSH known_hosts file. */
function knownKeys(file: string, host: string): Set<string> {
  const keys = new Set<string>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 3 || line.trim().startsWith("#")) continue;
    const [hosts, , key] = parts as [string, string, string];
    if (hosts.split(",").includes(host)) keys.add(key);
  }
  return keys;
}

/** Host and port of an SSH remote URL (`ssh://user@host:port/path` or `user@host:path`). */
function sshTarget(url: string): { host: string; port: string; knownHostsName: string } | undefined {
  const m =
    /^ssh:\/\/(?:[^@/]+@)?([^/:]+)(?::(\d+))?\//.exec(url) ?? /^(?:[^@/]+@)?([^/:]+):(?!\d)/.exec(url);
  if (!m?.[1] || (/^[a-z]+:\/\//.test(url) && !url.startsWith("ssh://"))) return undefined;
  const port = m[2] ?? "22";
  return { host: m[1], port, knownHostsName: port !== "22" ? `[${m[1]}]:${port}` : m[1] };
}

const execFileAsync = promisify(execFile);

/** The remote as logs and errors show it: credentials in a URL masked; a local path as it is. */
function shownUrl(url: string): string {
  return maskUrlCredentials(url);
}

/**
 * Pushes the branch to the remote after commits, coalesced; retries with backoff while commits
 * accumulate locally; never forces. A diverged remote stops pushing (loudly) and keeps local history.
 */
export class Pusher {
  private wake: (() => void) | undefined;
  private pending = false;
  private state: PushState = PushStates.idle;
  private lastPushed: string | null = null;
  private lastError: string | undefined;
  private failures = 0;
  private hostKeyVerified = false;
  /** Exactly today's doubling (no jitter); restarted per burst, so never reset by elapsed time. */
  private readonly backoff: Backoff;
  private readonly url: string;

  constructor(
    private readonly repo: GitRepo,
    private readonly remote: ResolvedRemote,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly metrics: CommitterMetrics,
  ) {
    this.backoff = new Backoff({
      initialMs: remote.retryBaseMs,
      maxMs: remote.retryMaxMs,
      jitter: 0,
      resetAfterMs: Number.MAX_SAFE_INTEGER,
    });
    this.url = shownUrl(remote.url);
  }

  status(): PushStatus {
    return {
      state: this.state,
      lastPushed: this.lastPushed,
      lastError: this.lastError,
      failures: this.failures,
    };
  }

  /** A commit landed: push soon. */
  notify(): void {
    this.pending = true;
    this.wake?.();
  }

  /** Push loop; returns when `signal` aborts or the remote diverged. */
  async run(signal: AbortSignal): Promise<void> {
    this.pending = true; // push whatever an earlier run left unpushed
    while (!signal.aborted && this.state !== PushStates.diverged) {
      if (!this.pending) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          signal.addEventListener("abort", () => resolve(), { once: true });
        });
        this.wake = undefined;
        if (signal.aborted) return;
        await this.clock.sleep(this.remote.pushIntervalMs, signal);
      }
      this.pending = false;
      await this.pushWithRetry(signal);
    }
  }

  /** One last attempt (at shutdown), bounded by the caller's timeout. Never throws. */
  async flush(): Promise<void> {
    if (this.state === PushStates.diverged) return;
    try {
      await this.pushOnce();
    } catch (err) {
      this.record(err);
    }
  }

  private async pushWithRetry(signal: AbortSignal): Promise<void> {
    this.backoff.reset();
    while (!signal.aborted) {
      try {
        await this.pushOnce();
        return;
      } catch (err) {
        this.record(err);
        if (this.state === PushStates.diverged) return;
        const delay = this.backoff.next(this.clock.now());
        this.state = PushStates.retrying;
        await this.clock.sleep(delay, signal);
      }
    }
  }

  private record(err: unknown): void {
    this.failures++;
    this.lastError = err instanceof Error ? err.message : String(err);
    if (err instanceof RemoteDivergedError) {
      this.state = PushStates.diverged;
      this.metrics.pushes.inc({ result: "diverged" });
      this.metrics.remoteDiverged.set(1);
      this.logger.error(
        { err, remote: this.url, branch: this.repo.branch },
        "REMOTE HAS DIVERGED: pushing stopped, local history kept; reconcile the remote by hand (shiplog never force-pushes)",
      );
      return;
    }
    this.metrics.pushes.inc({ result: "error" });
    this.logger.warn({ err, remote: this.url, failures: this.failures }, "push failed; will retry");
  }

  /** Push the branch once. Throws RemoteDivergedError or PushError. */
  async pushOnce(): Promise<"pushed" | "up-to-date"> {
    const head = await this.repo.head();
    if (head === null || head === this.lastPushed) return "up-to-date";
    this.state = PushStates.pushing;
    await this.verifyHostKey();
    let rejected: string | undefined;
    try {
      const remote = await NodeGit.Remote.createAnonymous(this.repo.native, this.remote.url);
      await remote.push([`${this.repo.refName}:${this.repo.refName}`], {
        callbacks: {
          credentials: this.credentials(),
          // Host keys are verified before connecting (verifyHostKey); see there why not here.
          certificateCheck: () => 0,
          pushUpdateReference: (_ref, status) => {
            if (status) rejected = status;
            return 0;
          },
        },
      });
    } catch (cause) {
      if (isDivergence(cause)) throw new RemoteDivergedError(this.url, this.repo.branch, { cause });
      throw new PushError(this.url, { cause });
    }
    if (rejected !== undefined) {
      const cause = new Error(`remote rejected ${this.repo.refName}: ${rejected}`);
      if (isDivergence(cause)) throw new RemoteDivergedError(this.url, this.repo.branch, { cause });
      throw new PushError(this.url, { cause });
    }
    this.lastPushed = head;
    this.state = PushStates.idle;
    this.metrics.pushes.inc({ result: "ok" });
    this.logger.debug({ remote: this.url, head }, "pushed");
    return "pushed";
  }

  private credentials(): (url: string, user: string | null, allowed: number) => NodeGit.Credential {
    let attempts = 0;
    return (_url, user) => {
      // libgit2 asks again after a rejected credential; give up instead of looping forever.
      if (++attempts > MAX_CREDENTIAL_ATTEMPTS) throw new Error("remote rejected our credentials");
      if (this.remote.sshKeyFile) {
        const pub = this.remote.sshPublicKeyFile ?? `${this.remote.sshKeyFile}.pub`;
        return NodeGit.Credential.sshKeyNew(
          user ?? "git",
          existsSync(pub) ? pub : "",
          this.remote.sshKeyFile,
          "",
        );
      }
      if (this.remote.token) {
        return NodeGit.Credential.userpassPlaintextNew(
          this.remote.tokenUser ?? "x-access-token",
          this.remote.token,
        );
      }
      throw new Error("remote asked for credentials but neither remote.sshKeyFile nor remote.token is set");
    };
  }

  /**
   * nodegit 0.28.0-alpha.36 hands the certificate callback a bare `Cert` without the host key, so the
   * key cannot be checked there. With `knownHostsFile`, the server's keys are fetched with `ssh-keyscan`
   * before the first push and one of them must be listed; without it, any host key is accepted (warned once).
   */
  private async verifyHostKey(): Promise<void> {
    const file = this.remote.knownHostsFile;
    const target = sshTarget(this.remote.url);
    if (!target || this.hostKeyVerified) return;
    if (!file) {
      this.logger.warn({ remote: this.url }, "no remote.knownHostsFile: the SSH host key is not verified");
      this.hostKeyVerified = true;
      return;
    }
    let scanned: string;
    try {
      scanned = (await execFileAsync("ssh-keyscan", ["-T", "10", "-p", target.port, target.host])).stdout;
    } catch (cause) {
      throw new PushError(this.url, {
        cause: new Error("ssh-keyscan failed; cannot verify the host key", { cause }),
      });
    }
    const known = knownKeys(file, target.knownHostsName);
    const presented = scanned
      .split("\n")
      .map((l) => l.trim().split(/\s+/)[2])
      .filter((k): k is string => k !== undefined);
    if (!presented.some((k) => known.has(k))) {
      this.logger.error(
        { host: target.knownHostsName, knownHostsFile: file },
        "SSH host key not in known_hosts",
      );
      throw new PushError(this.url, {
        cause: new Error(`host key of ${target.knownHostsName} is not listed in ${file}`),
      });
    }
    this.hostKeyVerified = true;
  }
}
