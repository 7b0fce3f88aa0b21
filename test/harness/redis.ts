// Redis for tests: the shared 127.0.0.1:6379 when it answers, else a private redis-server; and private
// persistent (AOF) servers for restart tests.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "./net.js";
import { groupAlive, kill9Group, killGroup, startProcess } from "./processes.js";

export interface TestRedis {
  url: string;
  host: string;
  port: number;
  /** Stops a private server; does nothing for the shared one. */
  stop(): Promise<void>;
}

export interface PrivateRedis {
  url: string;
  host: string;
  port: number;
  /** Holds the AOF files and the log; removed by stop(). */
  dir: string;
  /** Clean shutdown (SIGTERM), then the directory is removed. Idempotent. */
  stop(): Promise<void>;
  /** Crash: SIGKILL, no chance to flush. The directory stays, for restart(). */
  kill9(): Promise<void>;
  /** Starts the server again on the same port and directory (after kill9 or a stop of the process). */
  restart(): Promise<void>;
  /** The redis-server's pid (and process group), for checks in tests. */
  pid(): number;
}

export interface PrivateRedisOptions {
  /**
   * Append-only file with `appendfsync always`, so every acknowledged write survives kill9().
   * @defaultValue false (nothing on disk)
   */
  persistent?: boolean;
  /**
   * How long to wait for the server to answer PING.
   * @defaultValue 15000
   */
  readyTimeoutMs?: number;
}

export class RedisHarnessError extends Error {
  override readonly name = "RedisHarnessError";
}

/** Sends PING and resolves true on +PONG (false on refusal, timeout or any other answer). */
export function pingRedis(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    let buf = "";
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.on("error", () => done(false));
    sock.on("connect", () => sock.write("PING\r\n"));
    sock.on("data", (d: Buffer) => {
      buf += d.toString("latin1");
      if (buf.includes("\r\n")) done(buf.startsWith("+PONG"));
    });
  });
}

/** 127.0.0.1:6379 when it answers PING, else a private non-persistent redis-server on a free port. */
export async function testRedis(): Promise<TestRedis> {
  if (await pingRedis("127.0.0.1", 6379)) {
    return { url: "redis://127.0.0.1:6379", host: "127.0.0.1", port: 6379, stop: () => Promise.resolve() };
  }
  const r = await startPrivateRedis();
  return { url: r.url, host: r.host, port: r.port, stop: () => r.stop() };
}

/** A private redis-server on a free loopback port, killed when this process exits. */
export async function startPrivateRedis(opts: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const readyTimeoutMs = opts.readyTimeoutMs ?? 15_000;
  if (!(readyTimeoutMs > 0))
    throw new TypeError(`startPrivateRedis: readyTimeoutMs must be > 0, got ${readyTimeoutMs}`);
  const dir = mkdtempSync(join(tmpdir(), "shiplog-redis-"));
  mkdirSync(join(dir, "data"));
  const port = await freePort();
  const logFile = join(dir, "redis.log");
  const args = [
    "--bind", "127.0.0.1", "--port", String(port), "--dir", join(dir, "data"),
    "--save", "", "--daemonize", "no", "--protected-mode", "yes", "--logfile", "",
    ...(opts.persistent
      ? ["--appendonly", "yes", "--appendfsync", "always", "--appenddirname", "aof"]
      : ["--appendonly", "no"]),
  ]; // prettier-ignore
  let pid = 0;
  let stopped = false;
  const start = async (): Promise<void> => {
    pid = startProcess({ name: "redis-server", cmd: "redis-server", args, logFile }, { owned: true }).pid;
    const deadline = Date.now() + readyTimeoutMs;
    while (!(await pingRedis("127.0.0.1", port))) {
      if (!groupAlive(pid) || Date.now() > deadline) {
        throw new RedisHarnessError(
          `redis-server on port ${port} did not answer PING. Log:\n${readFileSync(logFile, "utf8").slice(-2000)}`,
        );
      }
      await sleep(50);
    }
  };
  await start().catch(async (err: unknown) => {
    if (pid) await killGroup(pid, 1000);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    host: "127.0.0.1",
    port,
    dir,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await killGroup(pid);
      rmSync(dir, { recursive: true, force: true });
    },
    kill9: () => kill9Group(pid),
    pid: () => pid,
    restart: async () => {
      if (stopped) throw new RedisHarnessError("restart() after stop(): the data directory is gone");
      if (groupAlive(pid)) await killGroup(pid);
      await start();
    },
  };
}
