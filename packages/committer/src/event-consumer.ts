import { Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { ConnectionOptions, Job } from "bullmq";
import type { Logger, QueuedMessage } from "@shiplog/core";
import { QueueNames } from "@shiplog/core";

/** Jobs per lock-extension call (one short Lua script each). */
export const EXTEND_CHUNK = 500;

/** A job id as BullMQ's counter gave it (its queue order), or undefined for any other id. */
function counterId(id: string | undefined): number | undefined {
  if (id === undefined || !/^\d+$/.test(id)) return undefined;
  const n = Number(id);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The ids at the fetching end of the wait list and at the oldest end of the active list. */
const QUEUE_TAILS = `return {redis.call("lindex", KEYS[1], -1), redis.call("lindex", KEYS[2], -1)}`;

/** A job taken from the events queue and held (locked) until its window is committed. */
export interface HeldJob {
  readonly job: Job<QueuedMessage>;
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
  /** For re-locking a committed job whose lock lapsed (`ack`), and reading the queue's tails. */
  readonly redis: Pick<Redis, "set" | "eval">;
}

/**
 * Manual BullMQ consumption (https://docs.bullmq.io/patterns/manually-fetching-jobs): jobs are fetched
 * with `getNextJob`, their locks are extended while their window is open, and they are completed only
 * after the window's commit is on the branch. If the process dies, the next leader takes its jobs back
 * when it claims the fence (`reclaimOrphans`), and they are processed again.
 */
export class EventConsumer {
  private readonly worker: Worker<QueuedMessage>;
  private fetched = 0;

  constructor(private readonly opts: EventConsumerOptions) {
    this.worker = new Worker<QueuedMessage>(QueueNames.events, null, {
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
   * and `ack` re-locks and completes it unless another holder took it.
   */
  async start(): Promise<void> {
    await this.worker.waitUntilReady();
  }

  /** Redis key of the queue's active list (jobs held by a committer, or orphaned by a dead one). */
  get activeKey(): string {
    return this.worker.keys["active"] ?? "";
  }

  /**
   * The lowest queue order (`seq`) a job fetched from now on can have: the older of the job next in
   * the wait list and the oldest job still active (held by this committer, or left by an earlier
   * term). Both lists are in queue order: BullMQ pushes new jobs at one end of the wait list and
   * fetches from the other onto the active list, and `reclaimOrphans` returns orphans to the fetching
   * end in order. Infinity when both are empty (every later job gets a higher id); undefined when it
   * cannot tell (ids that are not BullMQ's counter). Read in one script, so no job is in neither list.
   */
  async lowestQueuedSeq(): Promise<number | undefined> {
    const [waiting, active] = (await this.opts.redis.eval(
      QUEUE_TAILS,
      2,
      this.worker.keys["wait"] ?? "",
      this.worker.keys["active"] ?? "",
    )) as [string | null, string | null];
    let lowest = Number.POSITIVE_INFINITY;
    for (const id of [waiting, active]) {
      if (id === null || id === undefined) continue;
      const seq = counterId(id);
      if (seq === undefined) return undefined;
      lowest = Math.min(lowest, seq);
    }
    return lowest;
  }

  /** Take the next job. With `block`, waits up to about a second for one. */
  async next(token: string, block: boolean): Promise<HeldJob | undefined> {
    const job = (await this.worker.getNextJob(token, { block })) as Job<QueuedMessage> | undefined;
    if (!job) return undefined;
    this.fetched++;
    return { job, token, seq: counterId(job.id) ?? this.fetched };
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

  /**
   * Complete held jobs (their content is on the branch). Returns how many could not be completed.
   * A job whose lock lapsed while it was held (the process paused, or Redis was away) and that nobody
   * else took is completed anyway: its lock is set again only if it is still missing (`SET NX`), then
   * it is completed. Without BullMQ's stalled checker nothing else would take it out of the active
   * list, and readiness waits for every job queued before it. `acked` is called with each part once
   * it is settled (the holder stops extending those locks).
   */
  async ack(held: readonly HeldJob[], acked?: (done: readonly HeldJob[]) => void): Promise<number> {
    let failed = 0;
    const chunk = 256;
    const complete = (h: HeldJob): Promise<unknown> => h.job.moveToCompleted("committed", h.token, false);
    for (let i = 0; i < held.length; i += chunk) {
      const part = held.slice(i, i + chunk);
      const results = await Promise.allSettled(part.map(complete));
      // done with this part, whatever the outcome: its locks need no more extending
      acked?.(part);
      const lost = part.filter((_, k) => results[k]?.status === "rejected");
      if (lost.length === 0) continue;
      const client = this.opts.redis;
      const retried = await Promise.allSettled(
        lost.map(async (h) => {
          const taken = await client.set(
            `${this.worker.keys[""] ?? ""}${h.job.id ?? ""}:lock`,
            h.token,
            "PX",
            this.opts.jobLockMs,
            "NX",
          );
          if (taken !== "OK") throw new Error(`job ${h.job.id ?? ""} is locked by another holder`);
          await complete(h);
        }),
      );
      const still = retried.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      failed += still.length;
      if (lost.length > still.length) {
        this.opts.logger.info(
          { jobs: lost.length - still.length },
          "acknowledged committed jobs whose locks had lapsed",
        );
      }
      if (still.length > 0) {
        // Another holder has it: it will come back and be found already committed.
        this.opts.logger.warn(
          { jobs: still.length, err: still[0]?.reason as unknown },
          "could not acknowledge committed jobs; they will be replayed as no-ops",
        );
      }
    }
    return failed;
  }

  async close(): Promise<void> {
    await this.worker.close(true);
  }
}
