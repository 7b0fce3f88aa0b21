/**
 * How every process reaches Redis, from the one `redis.url`. Pure: this builds ioredis options; the
 * CLI creates the clients (one per role) and passes them down, so packages never parse URLs or build
 * clients of their own.
 */
import type { Logger } from "./logger.js";

export interface RedisConnectionOptions {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  tls?: Record<string, never>;
  /** BullMQ workers need blocking commands without a per-request retry limit. */
  maxRetriesPerRequest: null;
}

/** ioredis/BullMQ connection options from a `redis://` or `rediss://` URL. */
export function redisConnectionOptions(url: string): RedisConnectionOptions {
  const u = new URL(url);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  return {
    host: u.hostname.replace(/^\[|\]$/g, ""),
    port: u.port === "" ? 6379 : Number(u.port),
    ...(u.username !== "" ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password !== "" ? { password: decodeURIComponent(u.password) } : {}),
    db: Number.isInteger(db) ? db : 0,
    ...(u.protocol === "rediss:" ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}

/** The part of an ioredis client `logRedisErrors` listens to. */
export interface RedisEvents {
  on(event: "error", listener: (err: Error) => void): unknown;
  on(event: "ready", listener: () => void): unknown;
}

/**
 * Gives a Redis client the "error" listener it must have: without one, ioredis prints "Unhandled error
 * event" and a stack trace to stderr on every failed reconnect, past the logger. The first error of an
 * outage is logged at warn, the reconnect attempts after it at debug, and "ready" ends the outage. The
 * client keeps reconnecting on its own; nothing here throws.
 */
export function logRedisErrors(client: RedisEvents, logger: Logger, name: string): void {
  let down = false;
  client.on("error", (err) => {
    const line = { client: name, err: err.message };
    if (down) logger.debug(line, "redis still unreachable; reconnecting");
    else logger.warn(line, "redis unreachable; reconnecting");
    down = true;
  });
  client.on("ready", () => {
    if (down) logger.info({ client: name }, "redis reachable again");
    down = false;
  });
}
