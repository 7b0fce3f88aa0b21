/**
 * Test-only: the shared Redis the store and receiver tests run against (127.0.0.1:6379), a unique key
 * prefix per test, and cleanup of everything under it. Not part of the package API.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";

export interface TestRedis {
  readonly redis: Redis;
  /** Unique per test: `shiplog-test-attribution-<random>`. */
  readonly prefix: string;
  /** Every key under `<prefix>:`. */
  keys(): Promise<string[]>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function testRedis(): Promise<TestRedis> {
  const redis = new Redis({ host: "127.0.0.1", port: 6379, maxRetriesPerRequest: 1, lazyConnect: true });
  await redis.connect();
  const prefix = `shiplog-test-attribution-${randomBytes(6).toString("hex")}`;
  const keys = async (): Promise<string[]> => {
    const all: string[] = [];
    let cursor = "0";
    do {
      const [next, found] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      all.push(...found);
    } while (cursor !== "0");
    return all;
  };
  return {
    redis,
    prefix,
    keys,
    async [Symbol.asyncDispose]() {
      const found = await keys();
      if (found.length > 0) await redis.del(...found);
      await redis.quit();
    },
  };
}
