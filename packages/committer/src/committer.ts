import { createHash, randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { Redis } from "ioredis";
import type { Author, Clock, Logger, Timer } from "@shiplog/core";
import { logRedisErrors, messageBytes, queuedMessages, silentLogger, systemClock } from "@shiplog/core";
import { FieldManagerAttribution, shiplogAuthor } from "./attribution.js";
import { BranchCommitter } from "./branch-committer.js";
import { CommitOutbox } from "./commit-outbox.js";
import { CommitPublisher } from "./commit-publisher.js";
import { rebuildPublishedCommit } from "./republish.js";
import { FencedOutError } from "./errors/fenced-out-error.js";
import { GitWriteError } from "./errors/git-write-error.js";
import { RepoLockLostError } from "./errors/repo-lock-lost-error.js";
import { EventConsumer } from "./event-consumer.js";
import { jobEventTime } from "./event-time.js";
import type { HeldJob } from "./event-consumer.js";
import { openRepo } from "./git/repo.js";
import type { GitRepo } from "./git/repo.js";
import { TreeStore } from "./git/tree-store.js";
import { HeldJobs } from "./held-jobs.js";
import { Leadership } from "./leadership.js";
import type { LeaderTerm } from "./leadership.js";
import { createCommitterMetrics } from "./metrics.js";
import type { CommitterMetrics } from "./metrics.js";
import type { CommitterOptions, ResolvedOptions } from "./options.js";
import { resolveOptions } from "./options.js";
import { reclaimOrphans } from "./orphan-reclaim.js";
import { awaitOrphans } from "./orphan-wait.js";
import { Pusher } from "./pusher.js";
import type { PushStatus } from "./pusher.js";
import { RepoLock } from "./repo-lock.js";
import { WindowLoop } from "./window-loop.js";
import type { WrittenCommit } from "./window-writer.js";

/**
 * The committer asks Redis for the queue's low-water mark after a window once it remembers the
 * queue order of this many paths, and forgets those below it (`BranchCommitter.forgetCommittedBelow`).
 */
const FORGET_MIN_PATHS = 4096;

export const CommitterStates = {
  created: "created",
  waitingForLock: "waiting-for-lock",
  running: "running",
  stopping: "stopping",
  stopped: "stopped",
} as const;
export type CommitterState = (typeof CommitterStates)[keyof typeof CommitterStates];

export interface CommitterStatus {
  readonly state: CommitterState;
  readonly instanceId: string;
  readonly lockKey: string;
  /** Fencing token of the current or last term as leader (ADR 0037). */
  readonly fence: number | undefined;
  readonly branch: string;
  readonly head: string | null;
  /** Messages in the open window. */
  readonly windowEvents: number;
  /**
   * Paths whose newest committed queue order is remembered (to ignore a replayed older job); falls
   * back to zero once the queue has no job older than them.
   */
  readonly trackedPaths: number;
  readonly commits: number;
  readonly lastCommitAt: string | undefined;
  /** When this instance last took the lock or settled a window (committed or not); for health checks. */
  readonly lastProgressAt: string | undefined;
  /** True once the committing loop ended with an error: this instance commits nothing any more. */
  readonly loopFailed: boolean;
  readonly lastError: string | undefined;
  readonly push: PushStatus | undefined;
}

/**
 * Queue -> change windows -> one commit per window and author -> branch -> (push, notifier queue).
 * Jobs are acknowledged only after their commit is on the branch; one instance per repo holds a Redis
 * lock, others wait and take over when it expires. The roles live in their own files: `Leadership`
 * (the lock), `WindowLoop` (windows), `awaitOrphans`, `BranchCommitter` (commits and their retries),
 * `CommitPublisher` (acknowledge, push, publish) and `Pusher`; this class wires them together.
 */
export class Committer {
  private readonly o: ResolvedOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly metrics: CommitterMetrics;
  private readonly shiplog: Author;
  private readonly windows: WindowLoop<HeldJob>;
  private readonly held = new HeldJobs();
  readonly instanceId = `committer-${randomUUID()}`;
  readonly lockKey: string;
  /** Redis hash of commits not yet on the notifier's queue (ADR 0034). */
  readonly outboxKey: string;
  private lastProgress: number | undefined;
  /** Fencing token of the current (or last) term. */
  private fence: number | undefined;

  private state: CommitterState = CommitterStates.created;
  private repo: GitRepo | undefined;
  private redis: Redis | undefined;
  private leadership: Leadership | undefined;
  private writer: BranchCommitter | undefined;
  private pusher: Pusher | undefined;
  private publisher: CommitPublisher | undefined;
  private consumer: EventConsumer | undefined;
  private loop: Promise<void> | undefined;
  private pushLoop: Promise<void> | undefined;
  private loopError: string | undefined;
  /**
   * The last committed window's publish and acknowledgement, which run while the next window fills
   * (they wait on Redis, not on this process). At most one: a window is committed only after the
   * previous one settled, so alerts keep the commits' order.
   */
  private settling: Promise<void> = Promise.resolve();
  private readonly stopController = new AbortController();
  private readonly pushController = new AbortController();

  constructor(private readonly options: CommitterOptions) {
    this.o = resolveOptions(options);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.metrics = options.metrics ?? createCommitterMetrics();
    this.shiplog = shiplogAuthor(this.o.authorDomain);
    this.windows = new WindowLoop<HeldJob>({
      quietPeriodMs: this.o.quietPeriodMs,
      maxWindowMs: this.o.maxWindowMs,
      maxWindowEvents: this.o.maxWindowEvents,
      maxWindowBytes: this.o.maxWindowBytes,
      jobBytes: (held) => messageBytes(held.job.data),
      jobEvents: (held) => queuedMessages(held.job.data).length,
      pollIntervalMs: this.o.pollIntervalMs,
      fetchAhead: this.o.fetchAhead,
      clock: this.clock,
      instanceId: this.instanceId,
      eventTime: (held) => jobEventTime(held.job.data),
      housekeeping: (held) => held.job.data.kind !== "change" && held.job.data.kind !== "batch",
    });
    const target = options.remote?.url ?? resolve(options.repoPath);
    const digest = createHash("sha256").update(`${target}\0${this.o.branch}`).digest("hex").slice(0, 24);
    this.lockKey = options.lockKey ?? `${options.queue.prefix}:shiplog-committer-lock:${digest}`;
    this.outboxKey = `${options.queue.prefix}:shiplog-outbox:${digest}`;
  }

  status(): CommitterStatus {
    return {
      state: this.state,
      instanceId: this.instanceId,
      lockKey: this.lockKey,
      fence: this.fence,
      branch: this.o.branch,
      head: this.writer?.head ?? null,
      windowEvents: this.windows.windowEvents,
      trackedPaths: this.writer?.trackedPaths ?? 0,
      commits: this.writer?.commits ?? 0,
      lastCommitAt: this.writer?.lastCommitAt,
      lastProgressAt: this.lastProgress === undefined ? undefined : new Date(this.lastProgress).toISOString(),
      lastError: this.loopError ?? this.writer?.lastError,
      loopFailed: this.loopError !== undefined,
      push: this.pusher?.status(),
    };
  }

  /** Open (or create) the repo and start in the background; resolves before the lock is held. */
  async start(): Promise<void> {
    if (this.state !== CommitterStates.created) throw new Error(`committer already ${this.state}`);
    const { connection } = this.o;
    const { prefix } = this.options.queue;
    const repo = await openRepo({ path: this.options.repoPath, branch: this.o.branch, logger: this.logger });
    this.repo = repo;
    const head = await repo.head();
    this.writer = new BranchCommitter({
      repo,
      tree: new TreeStore(repo.objects, await repo.treeOf(head)),
      head,
      cluster: this.options.cluster,
      shiplog: this.shiplog,
      attribution: this.options.attribution ?? new FieldManagerAttribution(this.o.authorDomain),
      diffMaxLines: this.o.diffMaxLines,
      retryBaseMs: this.o.commitRetryBaseMs,
      retryMaxMs: this.o.commitRetryMaxMs,
      clock: this.clock,
      logger: this.logger,
      metrics: this.metrics,
    });
    this.redis = new Redis({ ...this.options.queue.connection, maxRetriesPerRequest: null });
    logRedisErrors(this.redis, this.logger, "committer");
    this.leadership = new Leadership({
      lock: new RepoLock(this.redis, this.lockKey, this.instanceId, this.o.lockTtlMs),
      clock: this.clock,
      logger: this.logger,
      renewIntervalMs: this.o.lockRenewIntervalMs,
      retryIntervalMs: this.o.lockRetryIntervalMs,
      fenceFloor: () => repo.fenceToken(),
    });
    if (this.o.remote)
      this.pusher = new Pusher(repo, this.o.remote, this.clock, this.logger, this.metrics, this.shiplog);
    this.publisher = new CommitPublisher({
      queue: (this.options.publish ?? true) ? { connection, prefix } : undefined,
      outbox: new CommitOutbox(this.redis, this.outboxKey),
      rebuild: (sha) =>
        rebuildPublishedCommit(repo, sha, {
          cluster: this.options.cluster,
          branch: this.o.branch,
          diffMaxLines: this.o.diffMaxLines,
          shiplog: this.shiplog,
        }),
      cluster: this.options.cluster,
      branch: this.o.branch,
      held: this.held,
      pusher: this.pusher,
      metrics: this.metrics,
      logger: this.logger,
      failpoints: this.options.failpoints,
    });
    this.state = CommitterStates.waitingForLock;
    this.loop = this.run(this.leadership, this.writer, this.redis).catch((err: unknown) => {
      this.loopError = err instanceof Error ? err.message : String(err);
      this.logger.error({ err }, "committer loop ended with an error");
    });
  }

  /** Finish the open window (commit and acknowledge it), push once, release the lock. Bounded. */
  async stop(): Promise<void> {
    if (this.state === CommitterStates.created || this.state === CommitterStates.stopped) {
      this.state = CommitterStates.stopped;
      return;
    }
    this.state = CommitterStates.stopping;
    this.stopController.abort();
    await this.bounded(this.loop);
    this.pushController.abort();
    await this.bounded(this.pushLoop);
    if (this.pusher) await this.bounded(this.pusher.flush());
    this.pusher?.close();
    await this.bounded(this.consumer?.close());
    await this.bounded(this.publisher?.close());
    this.redis?.disconnect();
    this.repo?.close();
    this.state = CommitterStates.stopped;
  }

  /** Waits for `p`, at most `stopTimeoutMs`. */
  private async bounded(p: Promise<unknown> | undefined): Promise<void> {
    const done = new AbortController();
    try {
      await Promise.race([p, this.clock.sleep(this.o.stopTimeoutMs, done.signal)]);
    } finally {
      done.abort();
    }
  }

  private get stopping(): boolean {
    return this.stopController.signal.aborted;
  }

  private async run(leadership: Leadership, writer: BranchCommitter, redis: Redis): Promise<void> {
    for (;;) {
      const fence = await leadership.acquire(this.stopController.signal);
      if (fence === undefined) return;
      await this.lead(leadership.hold(fence), writer, redis);
    }
  }

  /** One term as the lock holder: consume windows until stopped or the lock is lost. */
  private async lead(term: LeaderTerm, writer: BranchCommitter, redis: Redis): Promise<void> {
    this.state = CommitterStates.running;
    this.metrics.leader.set(1);
    this.logger.info(
      { lockKey: this.lockKey, instanceId: this.instanceId, fence: term.fence },
      "holding the repo lock; committing",
    );
    const stop = this.stopController.signal;
    let keeper: Timer | undefined;
    try {
      // From here on no earlier term can move the branch, so the jobs it held are orphans: take them
      // back now, in order, instead of waiting for their locks to expire.
      if (!(await this.claimFence(term, stop))) return;
      this.fence = term.fence;
      try {
        await reclaimOrphans(redis, this.options.queue.prefix, this.logger);
      } catch (err) {
        // Redis is down for a moment: the bounded orphan wait below still lets them come back first.
        this.logger.warn(
          { err },
          "could not take back the jobs of an earlier term; waiting for them instead",
        );
      }
      await writer.resync();
      if (this.repo) await this.publisher?.replay(this.repo, writer.head);
      // After the outbox replay: catching up may replay unpushed commits under new ids.
      if (await this.catchUpWithRemote()) await writer.resync();
      this.lastProgress = this.clock.now();
      const consumer = (this.consumer ??= new EventConsumer({
        connection: this.o.connection,
        prefix: this.options.queue.prefix,
        jobLockMs: this.o.jobLockMs,
        stalledIntervalMs: this.o.stalledIntervalMs,
        instanceId: this.instanceId,
        logger: this.logger,
        redis,
      }));
      await consumer.start();
      keeper = this.held.keepLocked(consumer, this.clock, this.o.jobLockExtendIntervalMs, this.logger);
      await awaitOrphans(
        {
          redis,
          activeKey: consumer.activeKey,
          clock: this.clock,
          logger: this.logger,
          waitMs: this.o.orphanWaitMs,
          pollIntervalMs: this.o.orphanPollIntervalMs,
        },
        term.lost,
        stop,
      );
      if (this.pusher && !this.pushLoop) this.pushLoop = this.pusher.run(this.pushController.signal);
      await this.windows.run(
        consumer,
        {
          received: (job) => {
            this.held.add(job);
            writer.received(job);
            this.metrics.events.inc(queuedMessages(job.job.data).length);
          },
          commit: (jobs) => this.commitWindow(consumer, writer, jobs, term.lost),
        },
        term.lost,
        stop,
      );
    } catch (err) {
      if (err instanceof RepoLockLostError || err instanceof FencedOutError)
        this.logger.error({ err }, "stepping down");
      else throw err;
    } finally {
      // The last window's acknowledgements still need their locks kept alive.
      await this.settling;
      keeper?.cancel();
      this.metrics.leader.set(0);
      this.held.clear();
      await term.end();
      if (!this.stopping) this.state = CommitterStates.waitingForLock;
    }
  }

  /**
   * Claims the term's fence in the repository, retrying what can pass (a ref lock a killed process
   * left behind goes stale after 30 s). False when stopped first; throws `FencedOutError` when a newer
   * term holds it and `RepoLockLostError` when the lease is lost meanwhile.
   */
  private async claimFence(term: LeaderTerm, stop: AbortSignal): Promise<boolean> {
    for (let logged = false; ;) {
      term.lost.throwIfAborted();
      if (stop.aborted) return false;
      try {
        await this.repo?.claimFence(term.fence);
        return true;
      } catch (err) {
        if (!(err instanceof GitWriteError)) throw err;
        if (!logged) this.logger.warn({ err, fence: term.fence }, "cannot claim the fence yet; retrying");
        logged = true;
        await this.clock.sleep(1000, stop);
      }
    }
  }

  /**
   * Before the first window of a term, continue the remote's history (a new or lost local clone) or
   * replay unpushed commits onto it; true when the branch moved. An unreachable remote does not stop
   * committing: the pusher integrates the remote's history when it pushes.
   */
  private async catchUpWithRemote(): Promise<boolean> {
    if (!this.pusher) return false;
    try {
      const result = await this.pusher.catchUp();
      this.logger.info({ result }, "caught up with the remote");
      return result === "fast-forward" || result === "rebased";
    } catch (err) {
      this.logger.warn({ err }, "could not fetch the remote; committing locally, pushing later");
      return false;
    }
  }

  private async commitWindow(
    consumer: EventConsumer,
    writer: BranchCommitter,
    jobs: HeldJob[],
    lost: AbortSignal,
  ): Promise<void> {
    await this.settling;
    const commits = await writer.commitUntilDone(jobs, lost, this.stopController.signal);
    if (commits === undefined) return;
    this.lastProgress = this.clock.now();
    // Their content is on the branch: only ids and lock tokens are needed from here on.
    for (const h of jobs) (h.job as { data: unknown }).data = null;
    this.settling = this.settle(consumer, writer, jobs, commits);
  }

  /** Publish a committed window, acknowledge its jobs, then forget what no replay can undo. Does not throw. */
  private async settle(
    consumer: EventConsumer,
    writer: BranchCommitter,
    jobs: HeldJob[],
    commits: readonly WrittenCommit[],
  ): Promise<void> {
    try {
      await this.publisher?.settle(consumer, jobs, commits);
      this.lastProgress = this.clock.now();
      if (writer.trackedPaths < FORGET_MIN_PATHS) return;
      // Only once the window's jobs are acknowledged: while active, they hold the low-water mark down.
      const lowWater = await consumer.lowestQueuedSeq();
      if (lowWater !== undefined) writer.forgetCommittedBelow(lowWater);
    } catch (err) {
      // Unacknowledged jobs replay as no-ops (their content is on the branch).
      this.logger.warn({ err, jobs: jobs.length }, "settling a committed window failed");
    }
  }
}
