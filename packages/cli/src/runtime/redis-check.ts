/**
 * Redis pre-flight: one PING with a deadline and no retries, so a wrong URL fails in seconds; for
 * doctor, also what the server says about eviction.
 */
import { maskUrlCredentials, redisConnectionOptions } from "@shiplog/core";
import { Redis } from "ioredis";
import { CliError, ExitCodes, oneLine } from "../cli-error.js";
import { describeNetError, withTimeout } from "./kube.js";

/** The only `maxmemory-policy` BullMQ can live with: any other drops keys, and so jobs, when full. */
export const REQUIRED_MAXMEMORY_POLICY = "noeviction";

/**
 * The server's `maxmemory-policy`, from `CONFIG GET` or, where CONFIG is disabled or forbidden (managed
 * Redis, ACLs), from `INFO memory`; or why neither told it.
 */
export type MaxmemoryPolicy =
  | { readonly policy: string; readonly from: "CONFIG GET" | "INFO memory" }
  | { readonly policy: undefined; readonly why: string };

export async function checkRedis(url: string, timeoutMs = 5_000): Promise<void> {
  await withRedis(url, timeoutMs, () => Promise.resolve());
}

/** `checkRedis`, then reads the server's eviction policy on the same connection (doctor). */
export async function checkRedisPolicy(url: string, timeoutMs = 5_000): Promise<MaxmemoryPolicy> {
  return withRedis(url, timeoutMs, (client) => readMaxmemoryPolicy(client, timeoutMs));
}

/** Connects and PINGs (failing with one CliError that names the cause), runs `use`, disconnects. */
async function withRedis<T>(url: string, timeoutMs: number, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({
    ...redisConnectionOptions(url),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // ioredis reports the cause (ECONNREFUSED, ENOTFOUND...) as an 'error' event and rejects connect()
  // with a generic "Connection is closed"; keep the event's error to name the real problem.
  let lastError: unknown;
  client.on("error", (err: unknown) => {
    lastError = err;
  });
  try {
    try {
      await withTimeout(client.connect(), timeoutMs, "timed out");
      await withTimeout(client.ping(), timeoutMs, "timed out");
    } catch (err) {
      throw new CliError(
        `cannot reach Redis at ${maskUrlCredentials(url)}: ${describeNetError(lastError ?? err)}`,
        ExitCodes.unavailable,
        { cause: err },
      );
    }
    return await use(client);
  } finally {
    client.disconnect();
  }
}

async function readMaxmemoryPolicy(client: Redis, timeoutMs: number): Promise<MaxmemoryPolicy> {
  const problems: string[] = [];
  try {
    // [name, value]; an empty list where a proxy hides the setting.
    const reply = await withTimeout(client.config("GET", "maxmemory-policy"), timeoutMs, "timed out");
    const value: unknown = Array.isArray(reply) ? reply[1] : undefined;
    if (typeof value === "string" && value !== "") return { policy: value, from: "CONFIG GET" };
    problems.push("CONFIG GET: no value");
  } catch (err) {
    // CONFIG renamed away or denied (ERR unknown command, NOPERM): INFO memory says it too.
    problems.push(`CONFIG GET: ${oneLine(err)}`);
  }
  try {
    const info = await withTimeout(client.info("memory"), timeoutMs, "timed out");
    const value = /^maxmemory_policy:(\S+)\s*$/m.exec(info)?.[1];
    if (value !== undefined) return { policy: value, from: "INFO memory" };
    problems.push("INFO memory: no maxmemory_policy");
  } catch (err) {
    problems.push(`INFO memory: ${oneLine(err)}`);
  }
  return { policy: undefined, why: problems.join("; ") };
}
