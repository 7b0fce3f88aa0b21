/**
 * Redis pre-flight: one PING with a deadline and no retries, so a wrong URL, certificate or password
 * fails in seconds with a line that says which (see redis-errors.ts); for doctor, also what the server
 * says about eviction, who we are authenticated as, TLS, and which master the Sentinels name.
 */
import type { TLSSocket } from "node:tls";
import { redactRedisError } from "@shiplog/core";
import { Redis } from "ioredis";
import { oneLine } from "../cli-error.js";
import { withTimeout } from "./kube.js";
import { explainRedisFailure, RedisCheckError } from "./redis-errors.js";
import { redisUrlTarget, type RedisTarget } from "./redis-target.js";

/** The only `maxmemory-policy` BullMQ can live with: any other drops keys, and so jobs, when full. */
export const REQUIRED_MAXMEMORY_POLICY = "noeviction";

/**
 * The server's `maxmemory-policy`, from `CONFIG GET` or, where CONFIG is disabled or forbidden (managed
 * Redis, ACLs), from `INFO memory`; or why neither told it.
 */
export type MaxmemoryPolicy =
  | { readonly policy: string; readonly from: "CONFIG GET" | "INFO memory" }
  | { readonly policy: undefined; readonly why: string };

/** What doctor learns on one connection. */
export interface RedisInspection {
  readonly policy: MaxmemoryPolicy;
  /** `ACL WHOAMI`; undefined where the user may not run it. */
  readonly user: string | undefined;
  /** Negotiated TLS version (`TLSv1.3`) when the connection is TLS. */
  readonly tlsProtocol: string | undefined;
  /** `host:port` actually connected to (the master, with Sentinel). */
  readonly address: string | undefined;
  /** Why the user may not run what BullMQ needs (a NOPERM line), if so. */
  readonly permissionProblem: string | undefined;
}

type Target = RedisTarget | string;
const targetOf = (t: Target): RedisTarget => (typeof t === "string" ? redisUrlTarget(t) : t);

export async function checkRedis(target: Target, timeoutMs = 5_000): Promise<void> {
  await withRedis(targetOf(target), timeoutMs, () => Promise.resolve());
}

/** `checkRedis`, then reads the server's eviction policy on the same connection. */
export async function checkRedisPolicy(target: Target, timeoutMs = 5_000): Promise<MaxmemoryPolicy> {
  return withRedis(targetOf(target), timeoutMs, (client) => readMaxmemoryPolicy(client, timeoutMs));
}

/**
 * doctor: `checkRedis`, then on the same connection the eviction policy, `ACL WHOAMI`, the TLS version,
 * the address connected to, and whether the user may run a script that writes and deletes a key under
 * `prefix` and `INFO` (what BullMQ does).
 */
export async function inspectRedis(
  target: RedisTarget,
  prefix: string,
  timeoutMs = 5_000,
): Promise<RedisInspection> {
  return withRedis(target, timeoutMs, async (client) => {
    const stream = (client as unknown as { stream?: Partial<TLSSocket> }).stream;
    const tlsProtocol =
      typeof stream?.getProtocol === "function" ? (stream.getProtocol() ?? undefined) : undefined;
    const address =
      stream?.remoteAddress !== undefined ? `${stream.remoteAddress}:${stream.remotePort ?? "?"}` : undefined;
    let user: string | undefined;
    try {
      const who: unknown = await withTimeout(client.call("ACL", "WHOAMI"), timeoutMs, "timed out");
      user = typeof who === "string" ? who : undefined;
    } catch {
      user = undefined; // NOPERM for ACL, or a server without ACLs: not a failure on its own
    }
    let permissionProblem: string | undefined;
    try {
      await withTimeout(
        client.eval(
          "redis.call('SET', KEYS[1], '1', 'PX', 5000); return redis.call('DEL', KEYS[1])",
          1,
          `${prefix}:doctor:probe`,
        ),
        timeoutMs,
        "timed out",
      );
      await withTimeout(client.info("server"), timeoutMs, "timed out");
    } catch (err) {
      permissionProblem = oneLine(err);
    }
    const policy = await readMaxmemoryPolicy(client, timeoutMs);
    return { policy, user, tlsProtocol, address, permissionProblem };
  });
}

/** One Sentinel's answer to `SENTINEL get-master-addr-by-name`. */
export type SentinelAnswer =
  | { readonly sentinel: string; readonly master: string }
  | { readonly sentinel: string; readonly master: undefined; readonly problem: string };

/** Asks every configured Sentinel, directly, where the master is. */
export async function askSentinels(target: RedisTarget, timeoutMs = 5_000): Promise<SentinelAnswer[]> {
  const c = target.connection;
  const name = c.name ?? "";
  return Promise.all(
    (c.sentinels ?? []).map(async ({ host, port }): Promise<SentinelAnswer> => {
      const sentinel = `${host.includes(":") ? `[${host}]` : host}:${port}`;
      const one: RedisTarget = {
        connection: {
          host,
          port,
          db: 0,
          ...(c.sentinelPassword !== undefined ? { password: c.sentinelPassword } : {}),
          ...(c.sentinelTLS !== undefined ? { tls: c.sentinelTLS } : {}),
          maxRetriesPerRequest: null,
        },
        label: `Sentinel ${sentinel}`,
      };
      try {
        const reply = await withRedis(one, timeoutMs, (client) =>
          withTimeout(client.call("SENTINEL", "get-master-addr-by-name", name), timeoutMs, "timed out"),
        );
        if (Array.isArray(reply) && typeof reply[0] === "string" && reply[1] !== undefined)
          return { sentinel, master: `${reply[0]}:${String(reply[1])}` };
        return { sentinel, master: undefined, problem: `does not monitor a master named "${name}"` };
      } catch (err) {
        return {
          sentinel,
          master: undefined,
          problem: err instanceof RedisCheckError ? err.failure.text : oneLine(err),
        };
      }
    }),
  );
}

/** Connects and PINGs (failing with one RedisCheckError that names the cause), runs `use`, disconnects. */
async function withRedis<T>(
  target: RedisTarget,
  timeoutMs: number,
  use: (client: Redis) => Promise<T>,
): Promise<T> {
  const client = new Redis({
    ...target.connection,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    sentinelRetryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // ioredis reports the cause (ECONNREFUSED, a TLS alert, WRONGPASS...) as an 'error' event and rejects
  // connect() with a generic "Connection is closed"; keep the event's error to name the real problem.
  let lastError: unknown;
  client.on("error", (err: unknown) => {
    lastError = redactRedisError(err);
  });
  try {
    try {
      await withTimeout(client.connect(), timeoutMs, "timed out");
      await withTimeout(client.ping(), timeoutMs, "timed out");
    } catch (err) {
      const c = target.connection;
      const tls = c.sentinels !== undefined ? c.enableTLSForSentinelMode === true : c.tls !== undefined;
      const failure = explainRedisFailure(lastError ?? err, {
        tls,
        clientCert: tls && c.tls?.cert !== undefined,
        prefix: target.config?.prefix ?? "shiplog",
      });
      throw new RedisCheckError(target.label, failure, { cause: redactRedisError(err) });
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
