/**
 * The notifier's own Redis client for digest buffers (BullMQ's clients are its business), built the
 * one way from the plain connection options the queues use.
 */
import { Redis } from "ioredis";
import type { RedisOptions } from "bullmq";
import type { Logger } from "@shiplog/core";
import { logRedisErrors } from "@shiplog/core";

export function createRedis(connection: RedisOptions, logger: Logger): Redis {
  const redis = new Redis({ ...connection, maxRetriesPerRequest: null });
  logRedisErrors(redis, logger, "notifier");
  return redis;
}
