import type { Clock, Logger, Timer } from "@shiplog/core";
import type { EventConsumer, HeldJob } from "./event-consumer.js";

/**
 * The jobs this instance has taken from the queue and not yet acknowledged (its open window, and a
 * window being committed). Their locks are kept alive while they are held, so that the stalled checker
 * does not hand them to another instance.
 */
export class HeldJobs {
  /** In the order they were taken. A set: a window acknowledges its jobs in parts of a few hundred. */
  private readonly jobs = new Set<HeldJob>();

  get size(): number {
    return this.jobs.size;
  }

  add(job: HeldJob): void {
    this.jobs.add(job);
  }

  /** Forget jobs that were acknowledged. */
  release(done: readonly HeldJob[]): void {
    for (const h of done) this.jobs.delete(h);
  }

  /** Forget every job (a term ended; unacknowledged jobs come back when the next term reclaims them). */
  clear(): void {
    this.jobs.clear();
  }

  /** Extend the locks of the held jobs every `everyMs` (on `clock`) until the timer is cancelled. */
  keepLocked(consumer: Pick<EventConsumer, "extend">, clock: Clock, everyMs: number, logger: Logger): Timer {
    return clock.setInterval(() => {
      if (this.jobs.size === 0) return;
      consumer
        .extend([...this.jobs])
        .then((failed) => {
          if (failed.length > 0)
            logger.warn({ jobs: failed.length }, "some held jobs lost their lock; they will replay");
        })
        .catch((err: unknown) => logger.warn({ err }, "could not extend job locks"));
    }, everyMs);
  }
}
