import { Queue } from "bullmq";
import type { ConnectionOptions } from "bullmq";
import type { Failpoints, Logger, PublishedCommit } from "@shiplog/core";
import { FailpointNames, noFailpoints, QueueNames } from "@shiplog/core";
import type { CommitGraph, CommitOutbox } from "./commit-outbox.js";
import { OUTBOX_WALK_LIMIT } from "./commit-outbox.js";
import type { EventConsumer, HeldJob } from "./event-consumer.js";
import type { HeldJobs } from "./held-jobs.js";
import type { CommitterMetrics } from "./metrics.js";
import { limitDiffs } from "./published-size.js";
import { commitsSince } from "./republish.js";
import type { WrittenCommit } from "./window-writer.js";

export interface CommitPublisherOptions {
  /** Where the notifier's queue lives; without it, commits are not published. */
  readonly queue: { readonly connection: ConnectionOptions; readonly prefix: string } | undefined;
  /** Where commits wait until they are on the notifier's queue; without it, a crash can lose an alert. */
  readonly outbox?: CommitOutbox | undefined;
  readonly cluster: string;
  readonly branch: string;
  readonly held: HeldJobs;
  /** Told that there is something to push. */
  readonly pusher: { notify(): void } | undefined;
  readonly metrics: CommitterMetrics;
  readonly logger: Logger;
  /**
   * The moments between the ref update, the outbox, the publish and the acknowledgement at which tests
   * crash the process (see @shiplog/core failpoints). @defaultValue none armed
   */
  readonly failpoints?: Failpoints | undefined;
  /**
   * The payload of a commit on the branch that never reached the outbox (a crash right after its ref
   * update), rebuilt from git; undefined for a commit that is not shiplog's.
   */
  readonly rebuild?: ((sha: string) => Promise<PublishedCommit | undefined>) | undefined;
}

/**
 * What follows once a window's commits are on the branch: record them in the outbox, wake the pusher,
 * put each commit on the notifier's queue (jobId = sha, so a republished commit is enqueued once while
 * its job is kept), and only then acknowledge the window's jobs. After a restart, `replay` publishes
 * what the outbox still holds. Only Redis is awaited, never chat; a failed acknowledgement replays as a
 * no-op, a failed publish is counted, logged and tried again with the next window (see ADR 0034).
 */
export class CommitPublisher {
  private readonly queue: Queue<PublishedCommit> | undefined;
  /** Commits whose publish failed in this process (they are also in the outbox); tried again first. */
  private unsent: PublishedCommit[] = [];

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
    const fp = this.o.failpoints ?? noFailpoints;
    const messages = this.queue ? commits.map((c) => this.message(c)) : [];
    if (messages.length > 0) {
      fp.hit(FailpointNames.committerAfterRefUpdate);
      await this.record(messages);
      fp.hit(FailpointNames.committerBeforePublish);
    }
    if (commits.length > 0) this.o.pusher?.notify();
    const retry = this.unsent;
    this.unsent = [];
    await this.publishAll([...retry, ...messages]);
    if (messages.length > 0) fp.hit(FailpointNames.committerBeforeAck);
    const failedAcks = await consumer.ack(jobs, (done) => this.o.held.release(done));
    if (failedAcks) this.o.metrics.ackFailures.inc(failedAcks);
    this.o.held.release(jobs);
  }

  /**
   * After a restart (the lock held, before the branch is replayed onto the remote): publish the
   * outbox's commits that are on the branch, oldest first, and drop the others (their ref update never
   * happened); then the commits between the last published one and `head` that never reached the
   * outbox, rebuilt from git. Does not throw.
   */
  async replay(graph: CommitGraph, head: string | null): Promise<void> {
    const { outbox, logger } = this.o;
    if (!this.queue || !outbox) return;
    try {
      const { commits, dropped } = await outbox.pending(graph, head);
      if (dropped.length > 0)
        logger.warn({ dropped }, "outbox entries not on the branch were dropped (their ref update failed)");
      if (commits.length > 0) {
        logger.info({ commits: commits.length }, "publishing commits left unpublished by a previous run");
        await this.publishAll(commits);
      }
      const last = await outbox.lastPublished();
      if (last === null) {
        // First run with an outbox: nothing old is announced; from here on every commit is.
        if (head !== null) await outbox.setLastPublished(head);
        return;
      }
      const handled = new Set(commits.map((c) => c.sha));
      const gap: PublishedCommit[] = [];
      for (const sha of await commitsSince(graph, head, last, OUTBOX_WALK_LIMIT)) {
        if (handled.has(sha) || (await this.queue.getJob(sha)) !== undefined) continue;
        const rebuilt = await this.o.rebuild?.(sha);
        if (rebuilt) gap.push(rebuilt);
      }
      if (gap.length > 0) {
        logger.warn(
          { commits: gap.map((c) => c.sha) },
          "publishing commits that reached the branch but not the outbox (rebuilt from git)",
        );
        await this.publishAll(gap);
      }
    } catch (err) {
      logger.error({ err }, "could not read the commit outbox; its commits are published on a later start");
    }
  }

  private message(c: WrittenCommit): PublishedCommit {
    return {
      sha: c.sha,
      cluster: this.o.cluster,
      branch: this.o.branch,
      author: c.author,
      subject: c.subject,
      committedAt: c.committedAt,
      windowStart: c.windowStart,
      windowEnd: c.windowEnd,
      changes: limitDiffs(c.changes),
    };
  }

  private async record(messages: readonly PublishedCommit[]): Promise<void> {
    try {
      await this.o.outbox?.put(messages);
    } catch (err) {
      this.o.logger.error(
        { err, shas: messages.map((m) => m.sha) },
        "could not write commits to the outbox; publishing them without it",
      );
    }
  }

  private async publishAll(messages: readonly PublishedCommit[]): Promise<void> {
    const sent: string[] = [];
    for (const m of messages) {
      if (await this.publish(m)) sent.push(m.sha);
      else this.unsent.push(m);
    }
    try {
      await this.o.outbox?.remove(sent);
      const newest = sent.at(-1);
      if (newest !== undefined) await this.o.outbox?.setLastPublished(newest);
    } catch (err) {
      // Left in the outbox: republished after a restart, a duplicate only if its job was removed by then.
      this.o.logger.warn({ err, shas: sent }, "could not clear published commits from the outbox");
    }
  }

  private async publish(message: PublishedCommit): Promise<boolean> {
    if (!this.queue) return true;
    try {
      // jobId = sha: while the job exists (waiting, active, or among the last 1000 completed), adding
      // the same commit again is a no-op, so a republished commit is enqueued once.
      // bounded whatever its source (a window, the outbox, or rebuilt from git)
      const bounded = { ...message, changes: limitDiffs(message.changes) };
      await this.queue.add("commit", bounded, {
        jobId: message.sha,
        // Retries live here, not in the notifier's code: a transient failure while the notifier fans a
        // commit out to its sinks (Redis blip) is retried instead of leaving the commit unannounced.
        attempts: 5,
        backoff: { type: "exponential", delay: 1000 },
        removeOnComplete: 1000,
        removeOnFail: 5000,
      });
      return true;
    } catch (err) {
      this.o.metrics.publishFailures.inc();
      this.o.logger.error({ err, sha: message.sha }, "could not publish a commit to the notifier queue");
      return false;
    }
  }

  async close(): Promise<void> {
    await this.queue?.close();
  }
}
