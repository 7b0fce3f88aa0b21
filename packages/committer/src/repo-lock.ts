import type { Redis } from "ioredis";

/**
 * SET NX PX; on success the fencing counter is incremented and returned (raised above `floor` first, so
 * a Redis that lost the counter still hands out a token above the repository's fence).
 */
const ACQUIRE = `
if not redis.call("set", KEYS[1], ARGV[1], "PX", ARGV[2], "NX") then return false end
local f = redis.call("incr", KEYS[2])
local floor = tonumber(ARGV[3])
if f <= floor then f = floor + 1; redis.call("set", KEYS[2], f) end
return f`;
/**
 * Extend our lease. A lease that lapsed (a long pause) is taken back only when nobody acquired it in
 * between: every acquisition increments the counter, so an unchanged counter proves it.
 */
const RENEW = `
local v = redis.call("get", KEYS[1])
if v == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) end
if not v and redis.call("get", KEYS[2]) == ARGV[3] then
  redis.call("set", KEYS[1], ARGV[1], "PX", ARGV[2])
  return 1
end
return 0`;
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

/**
 * One committer per repo and branch: a short lease (a Redis key set with NX and a TTL, renewed by its
 * holder) and a fencing token, a counter incremented by every acquisition. The lease decides who should
 * write; the token, checked where the branch ref moves (`GitRepo.claimFence`), makes sure an instance
 * that lost its lease (paused, partitioned) cannot write any more, whatever it believes.
 */
export class RepoLock {
  readonly fenceKey: string;

  constructor(
    private readonly redis: Redis,
    readonly key: string,
    readonly token: string,
    private readonly ttlMs: number,
  ) {
    this.fenceKey = `${key}:fence`;
  }

  /** The fencing token of the new term, or undefined when another instance holds the lease. */
  async tryAcquire(floor = 0): Promise<number | undefined> {
    const f = await this.redis.eval(
      ACQUIRE,
      2,
      this.key,
      this.fenceKey,
      this.token,
      String(this.ttlMs),
      String(floor),
    );
    return f === null ? undefined : Number(f);
  }

  /** Extend our hold of the term with token `fence`; false if the lease is no longer ours. */
  async renew(fence: number): Promise<boolean> {
    const r = await this.redis.eval(
      RENEW,
      2,
      this.key,
      this.fenceKey,
      this.token,
      String(this.ttlMs),
      String(fence),
    );
    return Number(r) === 1;
  }

  async release(): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key, this.token);
  }

  /** Token of the current holder, if any. */
  async holder(): Promise<string | null> {
    return this.redis.get(this.key);
  }
}
