import type { Clock, Logger } from "@shiplog/core";
import { RepoLockLostError } from "./errors/repo-lock-lost-error.js";
import type { RepoLock } from "./repo-lock.js";

export interface LeadershipOptions {
  readonly lock: RepoLock;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How often the holder renews the lock (below its TTL). */
  readonly renewIntervalMs: number;
  /** How often a waiting instance tries to take the lock. */
  readonly retryIntervalMs: number;
}

/** One term of holding the repo lock. */
export interface LeaderTerm {
  /**
   * Aborts, with a `RepoLockLostError` as its reason, when a renewal finds that the lock is no longer
   * ours: whatever writes on the leader's behalf checks it (`lost.throwIfAborted()`) and steps down.
   */
  readonly lost: AbortSignal;
  /** Stop renewing and release the lock unless it was lost. Never throws. */
  end(): Promise<void>;
}

/**
 * Leader election over the repo lock, after client-go's `leaderelection`: wait until the lock is
 * free, renew it while holding it, and step down as soon as a renewal finds it taken by another
 * instance. A renewal that fails (Redis unreachable) is logged and tried again at the next interval;
 * nobody else can take the lock through the same outage. All timers run on the injected clock.
 */
export class Leadership {
  constructor(private readonly o: LeadershipOptions) {}

  /** Resolves true once the lock is ours, false when `stop` aborted first. */
  async acquire(stop: AbortSignal): Promise<boolean> {
    const { lock, logger } = this.o;
    let announced = false;
    while (!stop.aborted) {
      if (await lock.tryAcquire()) return true;
      if (!announced) {
        announced = true;
        const holder = await lock.holder();
        logger.info({ lockKey: lock.key, holder }, "another committer holds the repo lock; waiting");
      }
      await this.o.clock.sleep(this.o.retryIntervalMs, stop);
    }
    return false;
  }

  /** Start a term: the lock (just acquired) is renewed every `renewIntervalMs` until `end()`. */
  hold(): LeaderTerm {
    const { lock, logger } = this.o;
    const lost = new AbortController();
    const renewer = this.o.clock.setInterval(() => {
      lock
        .renew()
        .then((ok) => {
          if (!ok && !lost.signal.aborted) {
            logger.error({ lockKey: lock.key }, "lost the repo lock");
            lost.abort(new RepoLockLostError(lock.key));
          }
        })
        .catch((err: unknown) => logger.warn({ err }, "could not renew the repo lock; retrying"));
    }, this.o.renewIntervalMs);
    return {
      lost: lost.signal,
      end: async () => {
        renewer.cancel();
        if (lost.signal.aborted) return;
        await lock.release().catch((err: unknown) => logger.warn({ err }, "could not release the repo lock"));
      },
    };
  }
}
