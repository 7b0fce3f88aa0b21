import { createHash, randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { Redis } from "ioredis";
import type { RedisOptions } from "ioredis";
import type { Author, PublishedCommit } from "@shiplog/core";
import { FieldManagerAttribution, shiplogAuthor } from "./attribution.js";
import { ChangeWindow } from "./change-window.js";
import type { Clock } from "./clock.js";
import { systemClock } from "./clock.js";
import { CommitPublisher } from "./commit-publisher.js";
import { RepoLockLostError } from "./errors/repo-lock-lost-error.js";
import { RepoLock } from "./repo-lock.js";
import { EventConsumer } from "./event-consumer.js";
import type { HeldJob } from "./event-consumer.js";
import { openRepo } from "./git/repo.js";
import type { GitRepo } from "./git/repo.js";
import { TreeStore } from "./git/tree-store.js";
import type { Logger } from "./logger.js";
import { silentLogger } from "./logger.js";
import { createCommitterMetrics } from "./metrics.js";
import type { CommitterMetrics } from "./metrics.js";
import type { CommitterOptions, ResolvedTimings } from "./options.js";
import { resolveTimings } from "./options.js";
import { Pusher } from "./pusher.js";
import type { PushStatus } from "./pusher.js";
import { planWindow } from "./window-plan.js";
import { WindowWriter } from "./window-writer.js";
import type { WrittenCommit } from "./window-writer.js";

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
  readonly branch: string;
  readonly head: string | null;
  /** Messages in the open window. */
  readonly windowEvents: number;
  readonly commits: number;
  readonly lastCommitAt: string | undefined;
  readonly lastError: string | undefined;
  readonly push: PushStatus | undefined;
}

const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 60000;
/** When the window is open and the queue is empty, look again after at most this long. */
const POLL_MS = 25;
/** Job fetches in flight at once while a window is open. */
const FETCH_AHEAD = 32;

/**
 * Queue -> change windows -> one commit per window and author -> branch -> (push, notifier queue).
 * Jobs are acknowledged only after their commit is on the branch; one instance per repo holds a Redis
 * lock, others wait and take over when it expires.
 */
export class Committer {
  private readonly t: ResolvedTimings;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly metrics: CommitterMetrics;
  private readonly branch: string;
  private readonly domain: string;
  private readonly shiplog: Author;
  readonly instanceId = `committer-${randomUUID()}`;
  readonly lockKey: string;

  private state: CommitterState = CommitterStates.created;
  private repo: GitRepo | undefined;
  private tree: TreeStore | undefined;
  private redis: Redis | undefined;
  private lock: RepoLock | undefined;
  private pusher: Pusher | undefined;
  private publisher: CommitPublisher | undefined;
  private consumer: EventConsumer | undefined;
  private loop: Promise<void> | undefined;
  private pushLoop: Promise<void> | undefined;
  private readonly stopController = new AbortController();
  private readonly pushController = new AbortController();
  private held: HeldJob[] = [];
  private windowEvents = 0;
  private commits = 0;
  private head: string | null = null;
  private lastCommitAt: string | undefined;
  private lastError: string | undefined;
  private tokenSeq = 0;
  /** path -> queue order of the newest event committed for it (guards against replayed older jobs). */
  private readonly committedSeq = new Map<string, number>();

  constructor(private readonly options: CommitterOptions) {
    this.t = resolveTimings(options);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.metrics = options.metrics ?? createCommitterMetrics();
    this.branch = options.branch ?? "main";
    this.domain = options.authorDomain ?? "shiplog.invalid";
    this.shiplog = shiplogAuthor(this.domain);
    const target = options.remote?.url ?? resolve(options.repoPath);
    const digest = createHash("sha256").update(`${target}\0${this.branch}`).digest("hex").slice(0, 24);
    this.lockKey = options.lockKey ?? `${options.queue.prefix}:shiplog-committer-lock:${digest}`;
  }

  status(): CommitterStatus {
    return {
      state: this.state,
      instanceId: this.instanceId,
      lockKey: this.lockKey,
      branch: this.branch,
      head: this.head,
      windowEvents: this.windowEvents,
      commits: this.commits,
      lastCommitAt: this.lastCommitAt,
      lastError: this.lastError,
      push: this.pusher?.status(),
    };
  }

  /** Open (or create) the repo and start in the background; resolves before the lock is held. */
  async start(): Promise<void> {
    if (this.state !== CommitterStates.created) throw new Error(`committer already ${this.state}`);
    this.repo = await openRepo({ path: this.options.repoPath, branch: this.branch, logger: this.logger });
    this.head = await this.repo.head();
    this.tree = new TreeStore(this.repo.objects, await this.repo.treeOf(this.head));
    const connection = this.options.queue.connection;
    this.redis =
      connection instanceof Redis
        ? connection.duplicate()
        : new Redis({ ...(connection as RedisOptions), maxRetriesPerRequest: null });
    this.lock = new RepoLock(this.redis, this.lockKey, this.instanceId, this.t.lockTtlMs);
    if (this.options.publish ?? true)
      this.publisher = new CommitPublisher(connection, this.options.queue.prefix);
    if (this.options.remote) {
      this.pusher = new Pusher(this.repo, this.options.remote, this.clock, this.logger, this.metrics);
    }
    this.state = CommitterStates.waitingForLock;
    this.loop = this.run().catch((err: unknown) => {
      this.lastError = err instanceof Error ? err.message : String(err);
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
    const bounded = (p: Promise<unknown> | undefined): Promise<unknown> =>
      Promise.race([p, this.clock.sleep(this.t.stopTimeoutMs)]);
    await bounded(this.loop);
    this.pushController.abort();
    await bounded(this.pushLoop);
    if (this.pusher) await bounded(this.pusher.flush());
    await bounded(this.consumer?.close());
    await bounded(this.publisher?.close());
    this.redis?.disconnect();
    this.repo?.close();
    this.state = CommitterStates.stopped;
  }

  private get stopping(): boolean {
    return this.stopController.signal.aborted;
  }

  private async run(): Promise<void> {
    let announcedWait = false;
    while (!this.stopping) {
      if (!(await this.lock?.tryAcquire())) {
        if (!announcedWait) {
          announcedWait = true;
          const holder = await this.lock?.holder();
          this.logger.info(
            { lockKey: this.lockKey, holder },
            "another committer holds the repo lock; waiting",
          );
        }
        await this.clock.sleep(Math.max(100, Math.floor(this.t.lockTtlMs / 3)), this.stopController.signal);
        continue;
      }
      announcedWait = false;
      await this.lead();
    }
  }

  /** Hold the lock: consume windows until stopped or the lock is lost. */
  private async lead(): Promise<void> {
    const repo = this.repo;
    const tree = this.tree;
    const lock = this.lock;
    if (!repo || !tree || !lock) return;
    this.state = CommitterStates.running;
    this.metrics.leader.set(1);
    this.logger.info(
      { lockKey: this.lockKey, instanceId: this.instanceId },
      "holding the repo lock; committing",
    );
    // Another instance may have committed while we waited.
    this.head = await repo.head();
    tree.reset(await repo.treeOf(this.head));
    const lost = new AbortController();
    const renewEvery = Math.max(100, Math.floor(this.t.lockTtlMs / 3));
    const renewer = setInterval(() => {
      lock
        .renew()
        .then((ok) => {
          if (!ok && !lost.signal.aborted) {
            this.logger.error({ lockKey: this.lockKey }, "lost the repo lock");
            lost.abort();
          }
        })
        .catch((err: unknown) => this.logger.warn({ err }, "could not renew the repo lock; retrying"));
    }, renewEvery);
    const extendEvery = Math.max(100, Math.floor(this.t.jobLockMs / 3));
    const extender = setInterval(() => {
      if (this.held.length === 0 || !this.consumer) return;
      this.consumer
        .extend(this.held)
        .then((failed) => {
          if (failed.length > 0)
            this.logger.warn({ jobs: failed.length }, "some held jobs lost their lock; they will replay");
        })
        .catch((err: unknown) => this.logger.warn({ err }, "could not extend job locks"));
    }, extendEvery);
    try {
      this.consumer ??= new EventConsumer({
        connection: this.options.queue.connection,
        prefix: this.options.queue.prefix,
        jobLockMs: this.t.jobLockMs,
        stalledIntervalMs: this.t.stalledIntervalMs,
        instanceId: this.instanceId,
        logger: this.logger,
      });
      await this.consumer.start();
      await this.awaitOrphans(this.consumer, lost.signal);
      if (this.pusher && !this.pushLoop) this.pushLoop = this.pusher.run(this.pushController.signal);
      await this.consume(this.consumer, lost.signal);
    } catch (err) {
      if (err instanceof RepoLockLostError) this.logger.error({ err }, "stepping down");
      else throw err;
    } finally {
      clearInterval(renewer);
      clearInterval(extender);
      this.metrics.leader.set(0);
      this.held = [];
      this.windowEvents = 0;
      if (!lost.signal.aborted) {
        await lock
          .release()
          .catch((err: unknown) => this.logger.warn({ err }, "could not release the repo lock"));
      }
      if (!this.stopping) this.state = CommitterStates.waitingForLock;
    }
  }

  private async consume(consumer: EventConsumer, lost: AbortSignal): Promise<void> {
    const window = new ChangeWindow<HeldJob>(this.t.quietPeriodMs, this.t.maxWindowMs);
    let token = this.nextToken();
    let ahead = 1;
    for (;;) {
      if (lost.aborted) throw new RepoLockLostError(this.lockKey);
      const now = this.clock.now();
      if (window.isOpen && (this.stopping || window.isDue(now) || window.size >= this.t.maxWindowEvents)) {
        await this.commitWithRetry(window.drain(), lost);
        this.windowEvents = 0;
        token = this.nextToken();
        continue;
      }
      if (this.stopping) return;
      // The first job of a window is awaited (blocking). While a window is open and the queue has a
      // backlog, up to FETCH_AHEAD fetches are in flight at once (doubling while every one returns a
      // job, back to one as soon as the queue runs dry), so a backlog drains at Redis's pace rather
      // than one round trip per job. Order is kept by `seq` (the plan sorts by it), not by arrival.
      const want = window.isOpen ? Math.min(ahead, this.t.maxWindowEvents - window.size) : 1;
      const jobs = await Promise.all(
        Array.from({ length: want }, () => consumer.next(token, !window.isOpen)),
      );
      let got = 0;
      for (const job of jobs) {
        if (!job) continue;
        got++;
        window.add(job, this.clock.now());
        this.held.push(job);
        this.metrics.events.inc();
      }
      this.windowEvents = window.size;
      ahead = got === want ? Math.min(FETCH_AHEAD, ahead * 2) : 1;
      if (got === 0 && window.isOpen) {
        const wait = Math.max(1, Math.min(POLL_MS, window.dueAt() - this.clock.now()));
        await this.clock.sleep(wait, this.stopController.signal);
      }
    }
  }

  /**
   * Jobs a dead predecessor held stay active until their locks expire and the stalled checker puts them
   * back at the front of the queue. Fetching newer jobs before that would commit an object's newer
   * version before its older one, so wait (bounded) until the active list is empty.
   */
  private async awaitOrphans(consumer: EventConsumer, lost: AbortSignal): Promise<void> {
    const redis = this.redis;
    if (!redis) return;
    const deadline = this.clock.now() + this.t.jobLockMs + 3 * this.t.stalledIntervalMs;
    let announced = false;
    while (!lost.aborted && !this.stopping && this.clock.now() < deadline) {
      const orphans = await redis.llen(consumer.activeKey);
      if (orphans === 0) return;
      if (!announced) {
        announced = true;
        this.logger.info({ orphans }, "waiting for jobs of a previous committer to return to the queue");
      }
      await this.clock.sleep(Math.max(50, Math.floor(this.t.stalledIntervalMs / 2)), lost);
    }
  }

  private nextToken(): string {
    return `${this.instanceId}:${++this.tokenSeq}`;
  }

  /**
   * Commit a window; on failure keep holding its jobs and try again with backoff (fetching newer jobs
   * first could reorder an object's versions). Gives up only when the lock is lost.
   */
  private async commitWithRetry(jobs: HeldJob[], lost: AbortSignal): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (lost.aborted) throw new RepoLockLostError(this.lockKey);
      try {
        await this.commitWindow(jobs);
        return;
      } catch (err) {
        this.metrics.windowFailures.inc();
        this.lastError = err instanceof Error ? err.message : String(err);
        const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(attempt, 10));
        this.logger.error(
          { err, jobs: jobs.length, retryInMs: delay },
          "committing a window failed; will retry",
        );
        if (this.stopping && attempt >= 2) return; // unacknowledged: the next run replays them
        await this.clock.sleep(delay, lost);
      }
    }
  }

  private async commitWindow(jobs: HeldJob[]): Promise<void> {
    const repo = this.repo;
    const tree = this.tree;
    if (!repo || !tree) return;
    const plan = await planWindow(
      jobs.map((h) => ({ seq: h.seq, message: h.job.data })),
      tree,
      (path) => this.committedSeq.get(path),
    );
    for (const s of plan.skipped) {
      const job = jobs.find((h) => h.seq === s.seq);
      this.metrics.eventsSkipped.inc({ reason: s.reason.split(":")[0] ?? "invalid" });
      this.logger.warn({ jobId: job?.job.id, reason: s.reason }, "skipping a malformed queue message");
    }
    const writer = new WindowWriter(repo, tree, {
      cluster: this.options.cluster,
      committer: { name: this.shiplog.name, email: this.shiplog.email },
      shiplog: this.shiplog,
      attribution: this.options.attribution ?? new FieldManagerAttribution(this.domain),
      diffMaxLines: this.t.diffMaxLines,
      now: () => this.clock.now(),
    });
    const before = this.head;
    let result;
    try {
      result = await writer.write(plan, before);
      if (result.head !== null && result.head !== before) {
        await repo.updateRef(result.head, before, `shiplog: window of ${jobs.length} events`);
      }
    } catch (err) {
      tree.reset(await repo.treeOf(before));
      throw err;
    }
    this.head = result.head;
    for (const c of plan.changes) {
      if (c.lastSeq > (this.committedSeq.get(c.path) ?? Number.NEGATIVE_INFINITY))
        this.committedSeq.set(c.path, c.lastSeq);
    }
    this.metrics.unchanged.inc(result.unchanged + plan.stale);
    const committedAt = this.clock.now();
    for (const h of jobs)
      this.metrics.commitLatency.observe(Math.max(0, committedAt - h.job.timestamp) / 1000);
    const failedAcks = await this.consumer?.ack(jobs);
    if (failedAcks) this.metrics.ackFailures.inc(failedAcks);
    this.held = this.held.filter((h) => !jobs.includes(h));
    if (result.commits.length > 0) {
      this.commits += result.commits.length;
      this.lastCommitAt = new Date(committedAt).toISOString();
      for (const c of result.commits) {
        this.metrics.commits.inc({ source: c.author.source });
        for (const ch of c.changes)
          this.metrics.changes.inc({ op: ch.op, vanished: ch.vanished ? "true" : "false" });
      }
      this.logger.info(
        {
          commits: result.commits.length,
          events: jobs.length,
          unchanged: result.unchanged,
          head: result.head,
        },
        "window committed",
      );
      this.pusher?.notify();
      await this.publish(result.commits);
    } else {
      this.logger.debug({ events: jobs.length }, "window changed nothing");
    }
  }

  private async publish(commits: readonly WrittenCommit[]): Promise<void> {
    if (!this.publisher) return;
    for (const c of commits) {
      const message: PublishedCommit = {
        sha: c.sha,
        cluster: this.options.cluster,
        branch: this.branch,
        author: c.author,
        subject: c.subject,
        committedAt: c.committedAt,
        windowStart: c.windowStart,
        windowEnd: c.windowEnd,
        changes: c.changes,
      };
      try {
        await this.publisher.publish(message);
      } catch (err) {
        this.metrics.publishFailures.inc();
        this.logger.error({ err, sha: c.sha }, "could not publish a commit to the notifier queue");
      }
    }
  }
}
