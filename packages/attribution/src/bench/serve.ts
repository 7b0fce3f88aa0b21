/**
 * Bench-only child process: one HTTPS server, started by `receiver.ts` under `taskset -c 0`.
 *
 *   node dist/bench/serve.js <config JSON>     (talks to its parent over the IPC channel)
 *
 * Modes: `echo` is the baseline, the same HTTPS server setup that only reads the body and answers 200;
 * `no-store` is the `AttributionReceiver` with a sink that drops records (auth, parse, no Redis);
 * `redis` is the receiver storing into an `IdentityStore` on real Redis. Sends `{ port }` once
 * listening; on `"stop"` (or when the parent goes away) closes and sends `{ records }`.
 */
import { readFile } from "node:fs/promises";
import { createServer } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { IdentityStore } from "../identity-store.js";
import type { RecordSink } from "../receiver.js";
import { AttributionReceiver } from "../receiver.js";
import type { IdentityRecord } from "../record.js";

export type ServeMode = "echo" | "no-store" | "redis";

export interface ServeConfig {
  readonly mode: ServeMode;
  readonly certFile: string;
  readonly keyFile: string;
  readonly token: string;
  /** For `redis`. */
  readonly redisPort?: number;
  readonly prefix?: string;
}

const send = (msg: object): void => {
  process.send?.(msg);
};

async function echoServer(cfg: ServeConfig): Promise<{ port: number; close(): Promise<void> }> {
  const [cert, key] = await Promise.all([readFile(cfg.certFile), readFile(cfg.keyFile)]);
  // The receiver's TLS and HTTP settings, without its work.
  const server = createServer({
    cert,
    key,
    minVersion: "TLSv1.2",
    requestTimeout: 10_000,
    headersTimeout: 5000,
    keepAliveTimeout: 5000,
  });
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const size = Buffer.concat(chunks).length;
      const text = JSON.stringify({ bytes: size });
      res.writeHead(200, { "content-type": "application/json", "content-length": String(text.length) });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? "{}") as ServeConfig;
  let records = 0;
  let stop: () => Promise<void>;
  let port: number;
  if (cfg.mode === "echo") {
    const s = await echoServer(cfg);
    port = s.port;
    stop = () => s.close();
  } else {
    let redis: Redis | undefined;
    let sink: RecordSink;
    if (cfg.mode === "redis") {
      redis = new Redis({ host: "127.0.0.1", port: cfg.redisPort ?? 6379, maxRetriesPerRequest: 1 });
      const store = new IdentityStore({ redis, prefix: cfg.prefix ?? "bench" });
      sink = {
        async add(r: readonly IdentityRecord[]) {
          await store.add(r);
          records += r.length;
        },
      };
    } else {
      sink = {
        add(r: readonly IdentityRecord[]) {
          records += r.length;
          return Promise.resolve();
        },
      };
    }
    const receiver = new AttributionReceiver({
      tls: { certFile: cfg.certFile, keyFile: cfg.keyFile },
      auth: { bearerTokens: [cfg.token] },
      store: sink,
      // The bench is one client address; the limiter still runs, but never refuses.
      rateLimit: {
        audit: { perSecond: 1_000_000, burst: 1_000_000 },
        admission: { perSecond: 1_000_000, burst: 1_000_000 },
      },
    });
    port = await receiver.listen(0, "127.0.0.1");
    stop = async () => {
      await receiver.close();
      await redis?.quit();
    };
  }
  let stopping = false;
  const finish = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await stop();
    send({ records });
    process.disconnect?.();
  };
  process.on("message", (m) => {
    if (m === "stop") void finish();
  });
  process.on("disconnect", () => {
    if (!stopping) void stop().finally(() => process.exit(1));
  });
  send({ port });
}

await main();
