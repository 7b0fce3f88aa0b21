import type { Author, Clock, Logger } from "@shiplog/core";
import { Backoff, queuedMessages } from "@shiplog/core";
import type { AttributionSource } from "./attribution.js";
import { ChangePrep } from "./change-prep.js";
import { FencedOutError } from "./errors/fenced-out-error.js";
import { RefMovedError } from "./errors/ref-moved-error.js";
import type { HeldJob } from "./event-consumer.js";
import type { GitRepo } from "./git/repo.js";
import type { TreeStore } from "./git/tree-store.js";
import type { CommitterMetrics } from "./metrics.js";
import { planWindow } from "./window-plan.js";
import { WindowWriter } from "./window-writer.js";
import type { WrittenCommit } from "./window-writer.js";

/** While stopping, a failing window is tried this many times, then left unacknowledged (it replays). */
const ATTEMPTS_WHEN_STOPPING = 3;
/** A window rebuilt on a branch that moved is tried again at once this many times in a row, then with backoff. */
const IMMEDIATE_REBUILDS = 3;

export interface BranchCommitterOptions {
  readonly repo: GitRepo;
  /** The tree of `head`. */
  readonly tree: TreeStore;
  readonly head: string | null;
  readonly cluster: string;
  /** The identity shiplog commits as (committer of every commit, author of reconcile commits). */
  readonly shiplog: Author;
  readonly attribution: AttributionSource;
  readonly diffMaxLines: number;
  /** First delay before a failed window is tried again; doubles per failure up to `retryMaxMs`. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: CommitterMetrics;
}

/**
 * A window's jobs -> commits on the branch (one per author), moved onto the branch with one atomic ref
 * update. Keeps the branch head and, per path, the queue order of the newest event committed for it
 * (so that a replayed older job never overwrites a newer version).
 */
export class BranchCommitter {
  private currentHead: string | null;
  private commitCount = 0;
  private lastCommit: string | undefined;
  private lastFailure: string | undefined;
  /** path -> queue order of the newest event committed for it. */
  private readonly committedSeq = new Map<string, number>();
  /** Updates of the open window worked out while it fills. */
  private readonly prep: ChangePrep;
  /** Exactly the former doubling (no jitter); restarted per window, so never reset by elapsed time. */
  private readonly backoff: Backoff;

  constructor(private readonly o: BranchCommitterOptions) {
    this.currentHead = o.head;
    this.prep = new ChangePrep({
      tree: o.tree,
      read: (oid) => o.repo.objects.read(oid),
      diffMaxLines: o.diffMaxLines,
    });
    this.backoff = new Backoff({
      initialMs: o.retryBaseMs,
      maxMs: o.retryMaxMs,
      jitter: 0,
      resetAfterMs: Number.MAX_SAFE_INTEGER,
    });
  }

  get head(): string | null {
    return this.currentHead;
  }

  get commits(): number {
    return this.commitCount;
  }

  get lastCommitAt(): string | undefined {
    return this.lastCommit;
  }

  get lastError(): string | undefined {
    return this.lastFailure;
  }

  /** A job joined the open window: work out what committing it needs while the window fills. */
  received(job: HeldJob): void {
    for (const message of queuedMessages(job.job.data)) this.prep.offer(message);
  }

  /** Paths whose newest committed queue order is remembered. */
  get trackedPaths(): number {
    return this.committedSeq.size;
  }

  /**
   * Forget the queue order of paths committed before `lowWater`, the lowest order a job can still
   * arrive with (`EventConsumer.lowestQueuedSeq`): no such job is older than them, so remembering
   * them guards nothing. Without this the map holds every path the process ever committed (about
   * 10 MB per 100,000 objects, issue 14).
   */
  forgetCommittedBelow(lowWater: number): number {
    let forgotten = 0;
    if (lowWater === Number.POSITIVE_INFINITY) {
      forgotten = this.committedSeq.size;
      this.committedSeq.clear();
      return forgotten;
    }
    for (const [path, seq] of this.committedSeq) {
      if (seq < lowWater) {
        this.committedSeq.delete(path);
        forgotten++;
      }
    }
    return forgotten;
  }

  /** Re-read the branch: another instance may have committed while this one waited for the lock. */
  async resync(): Promise<void> {
    this.currentHead = await this.o.repo.head();
    this.o.tree.reset(await this.o.repo.treeOf(this.currentHead));
  }

  /**
   * Commit a window; on failure keep holding its jobs and try again with backoff (fetching newer jobs
   * first could reorder an object's versions). Every attempt starts from the branch as it is now: when
   * someone else moved it (`RefMovedError`), the window is rebuilt on the new head at once. Throws
   * `FencedOutError` when a newer term claimed the fence and the reason of `lost` when the lock is
   * lost; returns undefined when it gives up while stopping (the jobs
   * stay unacknowledged and replay).
   */
  async commitUntilDone(
    jobs: readonly HeldJob[],
    lost: AbortSignal,
    stop: AbortSignal,
  ): Promise<readonly WrittenCommit[] | undefined> {
    this.backoff.reset();
    let rebuilds = 0;
    for (let failures = 1; ; failures++) {
      lost.throwIfAborted();
      try {
        return await this.commit(jobs);
      } catch (err) {
        // A newer term holds the fence: this one is over, whatever its lease renewals said.
        if (err instanceof FencedOutError) throw err;
        this.o.metrics.windowFailures.inc();
        this.lastFailure = err instanceof Error ? err.message : String(err);
        if (err instanceof RefMovedError && rebuilds++ < IMMEDIATE_REBUILDS) {
          this.o.logger.warn(
            { err, jobs: jobs.length, head: err.actual },
            "the branch moved under the committer; rebuilding the window on the new head",
          );
          continue;
        }
        rebuilds = 0;
        const delay = this.backoff.next(this.o.clock.now());
        this.o.logger.error(
          { err, jobs: jobs.length, retryInMs: delay },
          "committing a window failed; will retry",
        );
        if (stop.aborted && failures >= ATTEMPTS_WHEN_STOPPING) return undefined;
        await this.o.clock.sleep(delay, lost);
      }
    }
  }

  /**
   * One attempt, on the branch head as last read. On failure our commits are not on the branch and the
   * head and tree are re-read from the repository (someone else may have moved the branch); throws.
   */
  async commit(jobs: readonly HeldJob[]): Promise<readonly WrittenCommit[]> {
    const { repo, tree, clock, logger, metrics } = this.o;
    // What is still waiting is worked out below; preparing it meanwhile would only compete.
    this.prep.clear();
    const plan = await planWindow(
      // a batch's items share its queue order: distinct paths, in list order
      jobs.flatMap((h) => queuedMessages(h.job.data).map((message) => ({ seq: h.seq, message }))),
      tree,
      (path) => this.committedSeq.get(path),
    );
    for (const s of plan.skipped) {
      const job = jobs.find((h) => h.seq === s.seq);
      metrics.eventsSkipped.inc({ reason: s.reason.split(":")[0] ?? "invalid" });
      logger.warn({ jobId: job?.job.id, reason: s.reason }, "skipping a malformed queue message");
    }
    const writer = new WindowWriter(repo, tree, {
      cluster: this.o.cluster,
      committer: { name: this.o.shiplog.name, email: this.o.shiplog.email },
      shiplog: this.o.shiplog,
      attribution: this.o.attribution,
      diffMaxLines: this.o.diffMaxLines,
      now: () => clock.now(),
      prepared: this.prep,
    });
    const before = this.currentHead;
    let result;
    try {
      result = await writer.write(plan, before);
      if (result.head !== null && result.head !== before) {
        await repo.updateRef(result.head, before, `shiplog: window of ${jobs.length} events`);
      }
    } catch (err) {
      await this.resync();
      throw err;
    }
    this.currentHead = result.head;
    for (const c of plan.changes) {
      if (c.lastSeq > (this.committedSeq.get(c.path) ?? Number.NEGATIVE_INFINITY))
        this.committedSeq.set(c.path, c.lastSeq);
    }
    metrics.unchanged.inc(result.unchanged + plan.stale);
    const committedAt = clock.now();
    for (const h of jobs) metrics.commitLatency.observe(Math.max(0, committedAt - h.job.timestamp) / 1000);
    if (result.commits.length === 0) {
      logger.debug({ events: jobs.length }, "window changed nothing");
      return result.commits;
    }
    this.commitCount += result.commits.length;
    this.lastCommit = new Date(committedAt).toISOString();
    for (const c of result.commits) {
      metrics.commits.inc({ source: c.author.source });
      for (const ch of c.changes)
        metrics.changes.inc({ op: ch.op, vanished: ch.vanished ? "true" : "false" });
    }
    logger.info(
      { commits: result.commits.length, events: jobs.length, unchanged: result.unchanged, head: result.head },
      "window committed",
    );
    return result.commits;
  }
}
