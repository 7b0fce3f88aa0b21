/**
 * How every process reaches Redis, from the one `redis` config section: URL, ACL user and password
 * files, TLS and Sentinel. Pure: this builds ioredis/BullMQ options from the config and the contents of
 * the files it names, which the caller reads (`readFile` is injected, so core reads no files or
 * environment of its own). The CLI builds the options once and passes them to every client (BullMQ
 * queues and workers, the identity store, the start-up check and doctor), so packages never parse URLs
 * or build connection settings of their own.
 */
import { ConfigError } from "./config-error.js";
import type { RedisConfig, RedisTlsConfig } from "./config.js";
import type { Logger } from "./logger.js";
import { MASK, maskUrlCredentials } from "./mask.js";

/** Node `tls.connect` options, as ioredis passes them on. */
export interface RedisTlsOptions {
  ca?: string;
  cert?: string;
  key?: string;
  servername?: string;
  rejectUnauthorized?: boolean;
}

export interface RedisConnectionOptions {
  /** Unset with Sentinel: the Sentinels name the master. */
  host?: string;
  port?: number;
  username?: string;
  password?: string;
  db: number;
  /** TLS to the server (to the master, with Sentinel). */
  tls?: RedisTlsOptions;
  sentinels?: { host: string; port: number }[];
  /** The master's name at the Sentinels. */
  name?: string;
  sentinelPassword?: string;
  /** TLS to the Sentinels. */
  sentinelTLS?: RedisTlsOptions;
  /** ioredis: connect to the master the Sentinels name with `tls`. */
  enableTLSForSentinelMode?: boolean;
  /** BullMQ workers need blocking commands without a per-request retry limit. */
  maxRetriesPerRequest: null;
}

/** Reads a file named in the config (the CLI resolves it against its working directory). */
export type ReadConfigFile = (path: string) => string | Buffer;

const noFiles: ReadConfigFile = (path) => {
  throw new Error(`no file reader given for ${path}`);
};

/** A URL alone, with every other setting at its default. */
function fromUrl(url: string): RedisConfig {
  return { url, prefix: "", tls: { insecureSkipVerify: false } };
}

/**
 * ioredis/BullMQ connection options from the `redis` config section (or a bare `redis://` or
 * `rediss://` URL). A file that cannot be read, is empty or is not PEM is a `ConfigError` naming its
 * key (`redis.tls.caFile`); no error carries a file's content.
 */
export function redisConnectionOptions(
  redis: RedisConfig | string,
  readFile: ReadConfigFile = noFiles,
): RedisConnectionOptions {
  const cfg = typeof redis === "string" ? fromUrl(redis) : redis;
  const read = (key: string, path: string): string => {
    let content: string;
    try {
      const raw = readFile(path);
      content = typeof raw === "string" ? raw : raw.toString("utf8");
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const why = typeof code === "string" ? code : err instanceof Error ? err.message : String(err);
      throw new ConfigError(key, `cannot read ${path} (${why})`, { cause: err });
    }
    if (content.trim() === "") throw new ConfigError(key, `${path} is empty`);
    return content;
  };
  /** A user name or password: one line, its trailing newline dropped (as a mounted Secret has it). */
  const secret = (key: string, path: string): string => read(key, path).replace(/\r?\n$/, "");
  const pem = (key: string, path: string, what: string): string => {
    const content = read(key, path);
    if (!new RegExp(`-----BEGIN [A-Z0-9 ]*${what}-----`).test(content))
      throw new ConfigError(key, `${path} holds no PEM ${what} (no "-----BEGIN ...${what}-----" line)`);
    return content;
  };
  const tlsOptions = (t: RedisTlsConfig): RedisTlsOptions => ({
    ...(t.caFile !== undefined ? { ca: pem("redis.tls.caFile", t.caFile, "CERTIFICATE") } : {}),
    ...(t.certFile !== undefined ? { cert: pem("redis.tls.certFile", t.certFile, "CERTIFICATE") } : {}),
    ...(t.keyFile !== undefined ? { key: pem("redis.tls.keyFile", t.keyFile, "PRIVATE KEY") } : {}),
    ...(t.serverName !== undefined ? { servername: t.serverName } : {}),
    ...(t.insecureSkipVerify ? { rejectUnauthorized: false } : {}),
  });

  const u = new URL(cfg.url);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  const username =
    cfg.usernameFile !== undefined
      ? secret("redis.usernameFile", cfg.usernameFile)
      : u.username !== ""
        ? decodeURIComponent(u.username)
        : undefined;
  const password =
    cfg.passwordFile !== undefined
      ? secret("redis.passwordFile", cfg.passwordFile)
      : u.password !== ""
        ? decodeURIComponent(u.password)
        : undefined;
  const tlsToServer = u.protocol === "rediss:";
  const s = cfg.sentinel;
  const tls = tlsToServer || s?.tls === true ? tlsOptions(cfg.tls) : undefined;
  return {
    ...(s === undefined
      ? { host: u.hostname.replace(/^\[|\]$/g, ""), port: u.port === "" ? 6379 : Number(u.port) }
      : {}),
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    db: Number.isInteger(db) ? db : 0,
    ...(tlsToServer && tls !== undefined ? { tls } : {}),
    ...(s !== undefined
      ? {
          sentinels: s.sentinels.map(parseHostPort),
          name: s.masterName,
          ...(s.passwordFile !== undefined
            ? { sentinelPassword: secret("redis.sentinel.passwordFile", s.passwordFile) }
            : {}),
          ...(s.tls && tls !== undefined ? { sentinelTLS: tls } : {}),
          ...(tlsToServer ? { enableTLSForSentinelMode: true } : {}),
        }
      : {}),
    maxRetriesPerRequest: null,
  };
}

/** `host:port` (IPv6 in brackets) as the config schema checked it. */
function parseHostPort(v: string): { host: string; port: number } {
  const i = v.lastIndexOf(":");
  return { host: v.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(v.slice(i + 1)) };
}

/**
 * Where the config points, safe to print: the URL with its password masked, or the master's name and
 * the Sentinels asked for it.
 */
export function describeRedisTarget(redis: RedisConfig): string {
  const url = maskUrlCredentials(redis.url);
  const s = redis.sentinel;
  if (s === undefined) return url;
  const u = new URL(redis.url);
  return `master "${s.masterName}" via Sentinel ${s.sentinels.join(", ")} (${u.protocol}//, db ${u.pathname.length > 1 ? u.pathname.slice(1) : "0"})`;
}

/** Commands whose arguments carry a password (`AUTH user pass`, `HELLO 3 AUTH user pass`). */
const CREDENTIAL_COMMANDS = new Set(["auth", "hello"]);

/**
 * `err` (and its causes) with the arguments of a failed AUTH or HELLO masked. ioredis attaches the
 * failed command to its errors (`err.command = { name: "auth", args: [user, password] }`), so a WRONGPASS
 * error would carry the password into any log line or report that serialises the error.
 */
export function redactRedisError<E>(err: E): E {
  let cur: unknown = err;
  for (let i = 0; i < 6 && cur instanceof Error; i++) {
    const command = (cur as { command?: { name?: unknown; args?: unknown } }).command;
    if (
      command !== undefined &&
      typeof command.name === "string" &&
      CREDENTIAL_COMMANDS.has(command.name.toLowerCase()) &&
      Array.isArray(command.args)
    )
      command.args = command.args.map(() => MASK);
    cur = cur.cause;
  }
  return err;
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
    redactRedisError(err);
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
