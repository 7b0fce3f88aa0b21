import type { Clock, Logger } from "@shiplog/core";
import { RepoLockLostError } from "./errors/repo-lock-lost-error.js";
import type { RepoLock } from "./repo-lock.js";

export interface LeadershipOptions {
  readonly lock: RepoLock;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How often the holder renews the lease (below its TTL). */
  readonly renewIntervalMs: number;
  /** How often a waiting instance tries to take the lease. */
  readonly retryIntervalMs: number;
  /**
   * The highest fencing token the repository has seen (read before each attempt), so that a new term's
   * token is above it even when Redis lost its counter. @defaultValue always 0
   */
  readonly fenceFloor?: () => Promise<number>;
}

/** One term of holding the lease. */
export interface LeaderTerm {
  /** The term's fencing token: higher than every earlier term's. */
  readonly fence: number;
  /**
   * Aborts, with a `RepoLockLostError` as its reason, when a renewal finds that the lease is no longer
   * ours: whatever writes on the leader's behalf checks it (`lost.throwIfAborted()`) and steps down.
   */
  readonly lost: AbortSignal;
  /** Stop renewing and release the lease unless it was lost. Never throws. */
  end(): Promise<void>;
}

/**
 * Leader election over the repo lease, after client-go's `leaderelection`: wait until the lease is
 * free, renew it while holding it, and step down as soon as a renewal finds it taken by another
 * instance. A renewal that fails (Redis unreachable) is logged and tried again at the next interval;
 * the lease may lapse meanwhile and a standby take over, which the fencing token makes safe. All
 * timers run on the injected clock.
 */
export class Leadership {
  constructor(private readonly o: LeadershipOptions) {}

  /** Resolves with the new term's fencing token once the lease is ours, undefined when `stop` aborted first. */
  async acquire(stop: AbortSignal): Promise<number | undefined> {
    const { lock, logger } = this.o;
    let announced = false;
    while (!stop.aborted) {
      const floor = this.o.fenceFloor ? await this.o.fenceFloor() : 0;
      const fence = await lock.tryAcquire(floor);
      if (fence !== undefined) return fence;
      if (!announced) {
        announced = true;
        const holder = await lock.holder();
        logger.info({ lockKey: lock.key, holder }, "another committer holds the repo lock; waiting");
      }
      await this.o.clock.sleep(this.o.retryIntervalMs, stop);
    }
    return undefined;
  }

  /** Start the term of `fence` (just acquired): the lease is renewed every `renewIntervalMs` until `end()`. */
  hold(fence: number): LeaderTerm {
    const { lock, logger } = this.o;
    const lost = new AbortController();
    const renewer = this.o.clock.setInterval(() => {
      lock
        .renew(fence)
        .then((ok) => {
          if (!ok && !lost.signal.aborted) {
            logger.error({ lockKey: lock.key, fence }, "lost the repo lock");
            lost.abort(new RepoLockLostError(lock.key));
          }
        })
        .catch((err: unknown) => logger.warn({ err }, "could not renew the repo lock; retrying"));
    }, this.o.renewIntervalMs);
    return {
      fence,
      lost: lost.signal,
      end: async () => {
        renewer.cancel();
        if (lost.signal.aborted) return;
        await lock.release().catch((err: unknown) => logger.warn({ err }, "could not release the repo lock"));
      },
    };
  }
}
