/**
 * Test-only: the Redis the integration tests and the pipeline benchmark run against (127.0.0.1:6379),
 * as plain connection options, and the keys under a test's unique prefix. Not part of the package API.
 */
import { Redis } from "ioredis";
import type { RedisOptions } from "bullmq";

export const connection: RedisOptions = { host: "127.0.0.1", port: 6379, maxRetriesPerRequest: null };

/** Every key under `<prefix>:`. */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const all: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    all.push(...keys);
  } while (cursor !== "0");
  return all;
}

/** Delete every key under `<prefix>:` (a test's queues and digest buffers). */
export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(connection);
  try {
    const keys = await keysUnder(redis, prefix);
    for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
  } finally {
    await redis.quit();
  }
}
