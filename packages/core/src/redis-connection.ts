/**
 * How every process reaches Redis, from the one `redis.url`. Pure: this builds ioredis options; the
 * CLI creates the clients (one per role) and passes them down, so packages never parse URLs or build
 * clients of their own.
 */
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
