import type { Redis } from "ioredis";
import type { Clock, Logger } from "@shiplog/core";

export interface OrphanWaitOptions {
  readonly redis: Pick<Redis, "llen">;
  /** Redis key of the events queue's active list. */
  readonly activeKey: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Longest wait. */
  readonly waitMs: number;
  /** How often the active list is looked at. */
  readonly pollIntervalMs: number;
}

/**
 * Jobs a dead predecessor held stay active until their locks expire and the stalled checker puts them
 * back at the front of the queue. Fetching newer jobs before that would commit an object's newer
 * version before its older one, so a new leader waits (bounded) until the active list is empty.
 * Returns early when `lost` or `stop` aborts.
 */
export async function awaitOrphans(
  o: OrphanWaitOptions,
  lost: AbortSignal,
  stop: AbortSignal,
): Promise<void> {
  const deadline = o.clock.now() + o.waitMs;
  let announced = false;
  while (!lost.aborted && !stop.aborted && o.clock.now() < deadline) {
    const orphans = await o.redis.llen(o.activeKey);
    if (orphans === 0) return;
    if (!announced) {
      announced = true;
      o.logger.info({ orphans }, "waiting for jobs of a previous committer to return to the queue");
    }
    await o.clock.sleep(o.pollIntervalMs, lost);
  }
}
