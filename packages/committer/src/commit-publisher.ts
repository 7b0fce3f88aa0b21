import { Queue } from "bullmq";
import type { ConnectionOptions } from "bullmq";
import type { PublishedCommit } from "@shiplog/core";
import { QueueNames } from "@shiplog/core";

/** Puts each written commit on the notifier's queue. Only Redis is awaited, never chat. */
export class CommitPublisher {
  private readonly queue: Queue<PublishedCommit>;

  constructor(connection: ConnectionOptions, prefix: string) {
    this.queue = new Queue<PublishedCommit>(QueueNames.commits, { connection, prefix });
  }

  async publish(commit: PublishedCommit): Promise<void> {
    // jobId = sha: publishing the same commit twice (a retried window) enqueues it once.
    await this.queue.add("commit", commit, {
      jobId: commit.sha,
      // Retries live here, not in the notifier's code: a transient failure while the notifier fans a
      // commit out to its sinks (Redis blip) is retried instead of leaving the commit unannounced.
      attempts: 5,
      backoff: { type: "exponential", delay: 1000 },
      removeOnComplete: 1000,
      removeOnFail: 5000,
    });
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
