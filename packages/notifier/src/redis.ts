/**
 * The notifier's own Redis client for digest buffers (BullMQ's clients are its business), built the
 * one way from the plain connection options the queues use.
 */
import { Redis } from "ioredis";
import type { RedisOptions } from "bullmq";

export function createRedis(connection: RedisOptions): Redis {
  return new Redis({ ...connection, maxRetriesPerRequest: null });
}
