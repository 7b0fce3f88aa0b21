import type { Clock, Logger, Timer } from "@shiplog/core";
import type { EventConsumer, HeldJob } from "./event-consumer.js";

/**
 * The jobs this instance has taken from the queue and not yet acknowledged (its open window, and a
 * window being committed). Their locks are kept alive while they are held, so that the stalled checker
 * does not hand them to another instance.
 */
export class HeldJobs {
  private jobs: HeldJob[] = [];

  get size(): number {
    return this.jobs.length;
  }

  add(job: HeldJob): void {
    this.jobs.push(job);
  }

  /** Forget jobs that were acknowledged. */
  release(done: readonly HeldJob[]): void {
    const gone = new Set(done);
    this.jobs = this.jobs.filter((h) => !gone.has(h));
  }

  /** Forget every job (a term ended; unacknowledged jobs come back through the stalled checker). */
  clear(): void {
    this.jobs = [];
  }

  /** Extend the locks of the held jobs every `everyMs` (on `clock`) until the timer is cancelled. */
  keepLocked(consumer: Pick<EventConsumer, "extend">, clock: Clock, everyMs: number, logger: Logger): Timer {
    return clock.setInterval(() => {
      if (this.jobs.length === 0) return;
      consumer
        .extend(this.jobs)
        .then((failed) => {
          if (failed.length > 0)
            logger.warn({ jobs: failed.length }, "some held jobs lost their lock; they will replay");
        })
        .catch((err: unknown) => logger.warn({ err }, "could not extend job locks"));
    }, everyMs);
  }
}
