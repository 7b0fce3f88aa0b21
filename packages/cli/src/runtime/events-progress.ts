/**
 * How far the committer is through the events queue, for /readyz and /healthz. Job ids of the events
 * queue are BullMQ's counter (the watcher never sets one), so "every event enqueued before t is
 * committed" is "no pending job has an id at or below the counter's value at t".
 */
import { logRedisErrors, QueueNames } from "@shiplog/core";
import type { Logger, RedisConnectionOptions } from "@shiplog/core";
import type { JobType } from "bullmq";
import { Queue } from "bullmq";
import { Redis } from "ioredis";

export interface EventsProgress {
  /** Events waiting for (or held by) the committer. */
  pending(): Promise<number>;
  /** The id of the newest event ever enqueued (0 when none). */
  watermark(): Promise<number>;
  /** True when every event with an id at or below `mark` has left the queue (committed). */
  doneUpTo(mark: number): Promise<boolean>;
  close(): Promise<void>;
}

const PENDING_STATES: JobType[] = ["wait", "active", "delayed", "prioritized"];

export function eventsProgress(
  connection: RedisConnectionOptions,
  prefix: string,
  logger: Logger,
): EventsProgress {
  const q = new Queue(QueueNames.events, { connection, prefix });
  q.on("error", (err) => logger.debug({ err: err.message }, "events queue probe: redis error"));
  const redis = new Redis({ ...connection, maxRetriesPerRequest: null, lazyConnect: true });
  logRedisErrors(redis, logger, "events-progress");
  return {
    pending: async () => {
      const c = await q.getJobCounts("waiting", "active", "delayed", "prioritized", "waiting-children");
      return Object.values(c).reduce((a, b) => a + b, 0);
    },
    watermark: async () => {
      const id = Number(await redis.get(q.keys["id"] ?? q.toKey("id")));
      return Number.isSafeInteger(id) && id > 0 ? id : 0;
    },
    doneUpTo: async (mark) => {
      // Each list's both ends: the oldest pending job is at one of them whatever a list's direction.
      const ends = [
        ...(await q.getJobs(PENDING_STATES, 0, 0, true)),
        ...(await q.getJobs(PENDING_STATES, 0, 0, false)),
      ];
      return ends.every((j) => {
        const id = Number(j.id);
        return !Number.isSafeInteger(id) || id > mark;
      });
    },
    close: async () => {
      redis.disconnect();
      await q.close();
    },
  };
}
