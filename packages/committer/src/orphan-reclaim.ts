import type { Redis } from "ioredis";
import type { Logger } from "@shiplog/core";
import { QueueNames } from "@shiplog/core";

/**
 * Up to ARGV[2] ids from the newest end of the active list (BullMQ's RPOPLPUSH puts each fetched job
 * at its left): their locks are deleted (an old holder can no longer extend or complete them) and they
 * go back to the fetching end of the wait list. The newest chunk goes first, so every older chunk ends
 * up nearer the fetching end: the queue order is restored. One chunk is one short script.
 */
const RECLAIM = `
local ids = redis.call("lrange", KEYS[1], 0, tonumber(ARGV[2]) - 1)
if #ids == 0 then return 0 end
for _, id in ipairs(ids) do redis.call("del", ARGV[1] .. id .. ":lock") end
redis.call("ltrim", KEYS[1], #ids, -1)
redis.call("rpush", KEYS[2], unpack(ids))
redis.call("zadd", KEYS[3], 0, "0")
return #ids`;

/** Ids per script: a few hundred keep each call well under a millisecond of Redis time. */
const CHUNK = 500;

/**
 * Put every job a previous committer held back on the events queue, in queue order, at once. Only a
 * leader that has claimed the repository's fence may call this: every earlier term is then unable to
 * commit, so the jobs it held (locked until their locks expire, 30 s by default) are orphans whatever
 * state their holder is in. Waiting for BullMQ's stalled checker instead takes a lock lifetime plus
 * two check intervals and returns the jobs in set order. Returns how many jobs came back.
 */
export async function reclaimOrphans(redis: Redis, prefix: string, logger: Logger): Promise<number> {
  const base = `${prefix}:${QueueNames.events}:`;
  let total = 0;
  for (;;) {
    const n = Number(
      await redis.eval(RECLAIM, 3, `${base}active`, `${base}wait`, `${base}marker`, base, String(CHUNK)),
    );
    total += n;
    if (n < CHUNK) break;
  }
  if (total > 0) logger.info({ jobs: total }, "returned the jobs of a previous committer to the queue");
  return total;
}
