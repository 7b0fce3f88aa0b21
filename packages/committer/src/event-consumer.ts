import { Worker } from "bullmq";
import type { ConnectionOptions, Job } from "bullmq";
import type { Logger, WatchMessage } from "@shiplog/core";
import { QueueNames } from "@shiplog/core";

/** Jobs per lock-extension call (one short Lua script each). */
export const EXTEND_CHUNK = 500;

/** A job taken from the events queue and held (locked) until its window is committed. */
export interface HeldJob {
  readonly job: Job<WatchMessage>;
  readonly token: string;
  /** Queue order: numeric job ids when the producer uses BullMQ's counter, else fetch order. */
  readonly seq: number;
}

export interface EventConsumerOptions {
  readonly connection: ConnectionOptions;
  readonly prefix: string;
  readonly jobLockMs: number;
  readonly stalledIntervalMs: number;
  readonly instanceId: string;
  readonly logger: Logger;
}

/**
 * Manual BullMQ consumption (https://docs.bullmq.io/patterns/manually-fetching-jobs): jobs are fetched
 * with `getNextJob`, their locks are extended while their window is open, and they are completed only
 * after the window's commit is on the branch. If the process dies, the next leader takes its jobs back
 * when it claims the fence (`reclaimOrphans`), and they are processed again.
 */
export class EventConsumer {
  private readonly worker: Worker<WatchMessage>;
  private fetched = 0;

  constructor(private readonly opts: EventConsumerOptions) {
    this.worker = new Worker<WatchMessage>(QueueNames.events, null, {
      connection: opts.connection,
      prefix: opts.prefix,
      autorun: false,
      lockDuration: opts.jobLockMs,
      stalledInterval: opts.stalledIntervalMs,
      // A crash-looping committer must not turn events into failed jobs: they stay until committed.
      maxStalledCount: Number.MAX_SAFE_INTEGER,
      drainDelay: 1,
      name: opts.instanceId,
    });
    this.worker.on("error", (err) => opts.logger.warn({ err }, "event queue worker error"));
  }

  /**
   * Connects. BullMQ's stalled checker is not started: its script copies the whole active list (every
   * held job of the open window) into a set each interval, 100-230 ms of Redis time for 10,000 jobs
   * (issue 14). Jobs of an earlier term come back through `reclaimOrphans` (chunked) when a leader
   * claims the fence; a job whose lock lapsed while this leader still holds it is committed by it,
   * and if its acknowledgement then fails it waits in the active list for the next term, which
   * replays it as a no-op.
   */
  async start(): Promise<void> {
    await this.worker.waitUntilReady();
  }

  /** Redis key of the queue's active list (jobs held by a committer, or orphaned by a dead one). */
  get activeKey(): string {
    return this.worker.keys["active"] ?? "";
  }

  /** Take the next job. With `block`, waits up to about a second for one. */
  async next(token: string, block: boolean): Promise<HeldJob | undefined> {
    const job = (await this.worker.getNextJob(token, { block })) as Job<WatchMessage> | undefined;
    if (!job) return undefined;
    this.fetched++;
    const numeric = job.id !== undefined && /^\d+$/.test(job.id) ? Number(job.id) : Number.NaN;
    return { job, token, seq: Number.isSafeInteger(numeric) ? numeric : this.fetched };
  }

  /**
   * Extend the locks of held jobs; returns the ids whose lock was already lost. In calls of at most
   * `EXTEND_CHUNK` jobs, one after the other: BullMQ extends them in one Lua script per call, and a
   * window of 10,000 held jobs in one script held Redis for 130 ms (issue 14).
   */
  async extend(held: readonly HeldJob[]): Promise<string[]> {
    const lost: string[] = [];
    for (let i = 0; i < held.length; i += EXTEND_CHUNK) {
      const part = held.slice(i, i + EXTEND_CHUNK);
      lost.push(
        ...(await this.worker.extendJobLocks(
          part.map((h) => h.job.id ?? ""),
          part.map((h) => h.token),
          this.opts.jobLockMs,
        )),
      );
    }
    return lost;
  }

  /** Complete held jobs (their content is on the branch). Returns how many could not be completed. */
  async ack(held: readonly HeldJob[]): Promise<number> {
    let failed = 0;
    const chunk = 256;
    for (let i = 0; i < held.length; i += chunk) {
      const results = await Promise.allSettled(
        held.slice(i, i + chunk).map((h) => h.job.moveToCompleted("committed", h.token, false)),
      );
      for (const r of results) {
        if (r.status === "rejected") {
          failed++;
          // The lock was lost (e.g. a long pause): the job will come back and be found already committed.
          this.opts.logger.warn(
            { err: r.reason as unknown },
            "could not acknowledge a committed job; it will be replayed as a no-op",
          );
        }
      }
    }
    return failed;
  }

  async close(): Promise<void> {
    await this.worker.close(true);
  }
}
