import type { Redis } from "ioredis";

const RENEW = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

/**
 * One committer per repo and branch: a Redis key set with NX and a TTL, renewed by its holder. If the
 * holder dies, the key expires and a waiting instance takes over.
 */
export class RepoLock {
  constructor(
    private readonly redis: Redis,
    readonly key: string,
    readonly token: string,
    private readonly ttlMs: number,
  ) {}

  async tryAcquire(): Promise<boolean> {
    return (await this.redis.set(this.key, this.token, "PX", this.ttlMs, "NX")) === "OK";
  }

  /** Extend our hold; false if the lock is no longer ours. */
  async renew(): Promise<boolean> {
    return Number(await this.redis.eval(RENEW, 1, this.key, this.token, String(this.ttlMs))) === 1;
  }

  async release(): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key, this.token);
  }

  /** Token of the current holder, if any. */
  async holder(): Promise<string | null> {
    return this.redis.get(this.key);
  }
}
