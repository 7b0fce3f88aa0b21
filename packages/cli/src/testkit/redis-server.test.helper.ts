/**
 * A private redis-server for one test file: a free loopback port, no persistence, its own temporary
 * directory, and any extra settings (`--maxmemory-policy allkeys-lru`, `--rename-command CONFIG ""`).
 * It can serve TLS only (`--port 0 --tls-port N`) or run as a Sentinel with a generated sentinel.conf.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { checkRedis } from "../runtime/redis-check.js";
import type { RedisTarget } from "../runtime/redis-target.js";

export interface TestRedisServer {
  /** `redis://127.0.0.1:port`, or `rediss://` for a TLS server. */
  readonly url: string;
  readonly port: number;
  /** Stops the server and removes its directory. */
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === "object" && addr !== null ? resolve(addr.port) : reject(new Error("no port")),
      );
    });
  });
}

export interface RedisServerOptions {
  /** Serve TLS only, with these PEM files (add `--tls-auth-clients yes` etc. to the settings). */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile: string };
  /** Run as a Sentinel with this sentinel.conf (written into the server's directory). */
  readonly sentinelConf?: string;
  /** How to PING it until it is up (a client certificate, an ACL user); default: the plain URL. */
  readonly ready?: (url: string) => RedisTarget | string;
}

export async function startRedisServer(
  settings: readonly string[] = [],
  opts: RedisServerOptions = {},
): Promise<TestRedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "shiplog-cli-redis-"));
  const conf: string[] = [];
  if (opts.sentinelConf !== undefined) {
    const file = join(dir, "sentinel.conf");
    writeFileSync(file, opts.sentinelConf);
    conf.push(file, "--sentinel");
  }
  const ports =
    opts.tls === undefined
      ? ["--port", String(port)]
      : [
          "--port", "0", "--tls-port", String(port), "--tls-cert-file", opts.tls.certFile,
          "--tls-key-file", opts.tls.keyFile, "--tls-ca-cert-file", opts.tls.caFile,
        ]; // prettier-ignore
  const child = spawn(
    "redis-server",
    [
      ...conf,
      ...ports,
      "--bind",
      "127.0.0.1",
      ...(opts.sentinelConf === undefined ? ["--save", "", "--appendonly", "no"] : []),
      "--dir",
      dir,
      ...settings,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const collect = (chunk: Buffer): void => {
    output += chunk.toString("utf8");
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `${opts.tls === undefined ? "redis" : "rediss"}://127.0.0.1:${port}`;
  const ready = opts.ready?.(url) ?? url;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await checkRedis(ready, 500);
      return { url, port, close };
    } catch (err) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await close();
        throw new Error(`redis-server on port ${port} did not start: ${output.trim()}`, { cause: err });
      }
      await sleep(50);
    }
  }
}
