import { Queue } from "bullmq";
import type { ConnectionOptions } from "bullmq";
import type { Logger, PublishedCommit } from "@shiplog/core";
import { QueueNames } from "@shiplog/core";
import type { EventConsumer, HeldJob } from "./event-consumer.js";
import type { HeldJobs } from "./held-jobs.js";
import type { CommitterMetrics } from "./metrics.js";
import type { WrittenCommit } from "./window-writer.js";

export interface CommitPublisherOptions {
  /** Where the notifier's queue lives; without it, commits are not published. */
  readonly queue: { readonly connection: ConnectionOptions; readonly prefix: string } | undefined;
  readonly cluster: string;
  readonly branch: string;
  readonly held: HeldJobs;
  /** Told that there is something to push. */
  readonly pusher: { notify(): void } | undefined;
  readonly metrics: CommitterMetrics;
  readonly logger: Logger;
}

/**
 * What follows once a window's commits are on the branch: acknowledge its jobs, wake the pusher and
 * put each commit on the notifier's queue. Only Redis is awaited, never chat; nothing here throws (a
 * failed acknowledgement replays as a no-op, a failed publish is counted and logged).
 */
export class CommitPublisher {
  private readonly queue: Queue<PublishedCommit> | undefined;

  constructor(private readonly o: CommitPublisherOptions) {
    this.queue = o.queue
      ? new Queue<PublishedCommit>(QueueNames.commits, {
          connection: o.queue.connection,
          prefix: o.queue.prefix,
        })
      : undefined;
  }

  async settle(
    consumer: Pick<EventConsumer, "ack">,
    jobs: readonly HeldJob[],
    commits: readonly WrittenCommit[],
  ): Promise<void> {
    const failedAcks = await consumer.ack(jobs);
    if (failedAcks) this.o.metrics.ackFailures.inc(failedAcks);
    this.o.held.release(jobs);
    if (commits.length === 0) return;
    this.o.pusher?.notify();
    for (const c of commits) await this.publish(c);
  }

  private async publish(c: WrittenCommit): Promise<void> {
    if (!this.queue) return;
    const message: PublishedCommit = {
      sha: c.sha,
      cluster: this.o.cluster,
      branch: this.o.branch,
      author: c.author,
      subject: c.subject,
      committedAt: c.committedAt,
      windowStart: c.windowStart,
      windowEnd: c.windowEnd,
      changes: c.changes,
    };
    try {
      // jobId = sha: publishing the same commit twice (a retried window) enqueues it once.
      await this.queue.add("commit", message, {
        jobId: message.sha,
        // Retries live here, not in the notifier's code: a transient failure while the notifier fans a
        // commit out to its sinks (Redis blip) is retried instead of leaving the commit unannounced.
        attempts: 5,
        backoff: { type: "exponential", delay: 1000 },
        removeOnComplete: 1000,
        removeOnFail: 5000,
      });
    } catch (err) {
      this.o.metrics.publishFailures.inc();
      this.o.logger.error({ err, sha: c.sha }, "could not publish a commit to the notifier queue");
    }
  }

  async close(): Promise<void> {
    await this.queue?.close();
  }
}
