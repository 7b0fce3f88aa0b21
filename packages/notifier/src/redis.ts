/**
 * The notifier's own Redis connection for digest buffers (BullMQ's clients are its business). Built
 * from the same connection the queues use: a client is duplicated, options are used as they are.
 */
import { Redis } from "ioredis";
import type { RedisOptions } from "ioredis";
import type { ConnectionOptions } from "bullmq";

export function createRedis(connection: ConnectionOptions): Redis {
  const dup = (connection as { duplicate?: unknown }).duplicate;
  if (typeof dup === "function") {
    const client: unknown = dup.call(connection);
    if (client instanceof Redis) return client;
  }
  const opts = connection as RedisOptions & { url?: string };
  const base: RedisOptions = { ...opts, maxRetriesPerRequest: null, lazyConnect: false };
  return typeof opts.url === "string" ? new Redis(opts.url, base) : new Redis(base);
}
