import type { Author, Clock, Logger } from "@shiplog/core";
import { Backoff, maskUrlCredentials } from "@shiplog/core";
import { PushError } from "./errors/push-error.js";
import { RemoteDivergedError } from "./errors/remote-diverged-error.js";
import { GitTransport, isSshUrl } from "./git-transport.js";
import type { GitRepo } from "./git/repo.js";
import type { CommitterMetrics } from "./metrics.js";
import type { ResolvedRemote } from "./options.js";
import { RemoteSync } from "./remote-sync.js";
import type { CatchUpResult } from "./remote-sync.js";

export interface RemoteOptions {
  /** `ssh://user@host:port/path`, `user@host:path`, `https://...` or a local path of a bare repo. */
  readonly url: string;
  /** Private key for SSH remotes (given to OpenSSH with `-i`, `IdentitiesOnly=yes`). */
  readonly sshKeyFile?: string;
  /** @deprecated Unused: OpenSSH finds the public key next to `sshKeyFile` itself. */
  readonly sshPublicKeyFile?: string;
  /**
   * OpenSSH known_hosts file the server's host key must be listed in; it is checked by OpenSSH on the
   * connection that pushes. @defaultValue the user's `~/.ssh/known_hosts`
   */
  readonly knownHostsFile?: string;
  /**
   * Accept an SSH host key that is not in known_hosts (man-in-the-middle possible). Only for tests and
   * throwaway remotes. @defaultValue false
   */
  readonly insecureAcceptUnknownHostKey?: boolean;
  /**
   * PEM bundle of the CAs an HTTPS remote's certificate must chain to (`GIT_SSL_CAINFO`).
   * @defaultValue the system trust store
   */
  readonly caFile?: string;
  /** HTTPS token (sent as the password, through `GIT_ASKPASS`; never in argv, logs or errors). */
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
  /** A `git push` or `git fetch` running longer than this is killed and counts as failed. @defaultValue 120000 */
  readonly timeoutMs?: number;
}

export const PushStates = {
  idle: "idle",
  pushing: "pushing",
  retrying: "retrying",
} as const;
export type PushState = (typeof PushStates)[keyof typeof PushStates];

export interface PushStatus {
  readonly state: PushState;
  readonly lastPushed: string | null;
  readonly lastError: string | undefined;
  readonly failures: number;
}

/** `git push --porcelain` output of a push refused because the remote has commits we lack. */
function isDivergence(output: string): boolean {
  return /^!\t.*\t\[rejected\]|non-fast-forward|fetch first|\bstale info\b/im.test(output);
}

/** The remote as logs and errors show it: credentials in a URL masked; a local path as it is. */
function shownUrl(url: string): string {
  return maskUrlCredentials(url);
}

/**
 * Pushes the branch to the remote after commits, coalesced; retries with backoff while commits
 * accumulate locally; never forces. When someone else pushed, local commits are replayed on top of the
 * remote's (RemoteSync) and pushed again.
 */
export class Pusher {
  private wake: (() => void) | undefined;
  private pending = false;
  private state: PushState = PushStates.idle;
  private lastPushed: string | null = null;
  private lastError: string | undefined;
  private failures = 0;
  private readonly transport: GitTransport;
  private readonly sync: RemoteSync;
  /** Exactly today's doubling (no jitter); restarted per burst, so never reset by elapsed time. */
  private readonly backoff: Backoff;
  private readonly url: string;

  constructor(
    private readonly repo: GitRepo,
    private readonly remote: ResolvedRemote,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly metrics: CommitterMetrics,
    shiplog: Author,
  ) {
    this.backoff = new Backoff({
      initialMs: remote.retryBaseMs,
      maxMs: remote.retryMaxMs,
      jitter: 0,
      resetAfterMs: Number.MAX_SAFE_INTEGER,
    });
    this.url = shownUrl(remote.url);
    this.transport = new GitTransport(remote, repo.gitDir);
    this.sync = new RemoteSync(repo, this.transport, this.url, shiplog, () => clock.now(), logger);
    if (isSshUrl(remote.url) && remote.insecureAcceptUnknownHostKey)
      logger.warn(
        { remote: this.url },
        "remote.insecureAcceptUnknownHostKey: the SSH host key is NOT verified",
      );
    else if (isSshUrl(remote.url) && remote.knownHostsFile === undefined)
      logger.info(
        { remote: this.url },
        "no remote.knownHostsFile: the SSH host key must be in ~/.ssh/known_hosts",
      );
  }

  /**
   * Fetch the remote branch and put local history on top of it (see RemoteSync): a new or lost local
   * clone continues the remote's history. Throws PushError when the remote cannot be reached.
   */
  async catchUp(): Promise<CatchUpResult> {
    return this.sync.catchUp();
  }

  /** Removes the transport's temporary files. */
  close(): void {
    this.transport.close();
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

  /** Push loop; returns when `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    this.pending = true; // push whatever an earlier run left unpushed
    while (!signal.aborted) {
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
      this.metrics.pushes.inc({ result: "diverged" });
      this.metrics.remoteDiverged.set(1);
      this.logger.warn(
        { err, remote: this.url, branch: this.repo.branch },
        "the remote moved again while local commits were replayed onto it; will fetch and retry (never forced)",
      );
      return;
    }
    this.metrics.pushes.inc({ result: "error" });
    this.logger.warn({ err, remote: this.url, failures: this.failures }, "push failed; will retry");
  }

  /**
   * Push the branch once, never forced. When the remote has commits we lack, fetch them, replay local
   * commits on top (RemoteSync) and push again. Throws RemoteDivergedError (the remote moved again
   * meanwhile; retried) or PushError.
   */
  async pushOnce(): Promise<"pushed" | "up-to-date"> {
    let head = await this.repo.head();
    if (head === null || head === this.lastPushed) return "up-to-date";
    this.state = PushStates.pushing;
    const refspec = `${this.repo.refName}:${this.repo.refName}`;
    let result = await this.transport.push([refspec]);
    if (!result.ok && isDivergence(result.output)) {
      this.metrics.remoteDiverged.set(1);
      await this.sync.catchUp();
      head = await this.repo.head();
      result = await this.transport.push([refspec]);
    }
    if (!result.ok) {
      const cause = new Error(result.output);
      if (isDivergence(result.output)) throw new RemoteDivergedError(this.url, this.repo.branch, { cause });
      throw new PushError(this.url, { cause });
    }
    this.metrics.remoteDiverged.set(0);
    this.lastPushed = head;
    this.state = PushStates.idle;
    this.metrics.pushes.inc({ result: "ok" });
    this.logger.debug({ remote: this.url, head }, "pushed");
    return "pushed";
  }
}
