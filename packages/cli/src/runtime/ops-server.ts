/**
 * The operational HTTP endpoints every shiplog process serves:
 *   /metrics  Prometheus text from the process registry (watcher/committer/notifier counters + process)
 *   /healthz  200 while the process is alive, not shutting down and no stage is stuck (`health`), else
 *             503 with the reason
 *   /readyz   200 once `readiness` says so (first sync of every type committed) and no stage is stuck,
 *             else 503 with the reason
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import type { Logger } from "@shiplog/core";

export interface Readiness {
  /** `undefined` when ready, else a short reason shown in the 503 body. */
  notReadyReason(): string | undefined;
}

export interface Health {
  /** `undefined` while every stage makes progress (or has no work), else why not. */
  unhealthyReason(): string | undefined;
}

export interface OpsServerOptions {
  /** `host:port`, `:port` or `port`. Port 0 picks a free port (tests). */
  listen: string;
  registry: Registry;
  readiness: Readiness;
  /** Without it, /healthz only says that the process lives. */
  health?: Health | undefined;
  logger: Logger;
}

export interface OpsServer {
  /** The bound address, `host:port`. */
  readonly address: string;
  /** From now on /healthz and /readyz answer 503 (used during shutdown). */
  markStopping(): void;
  close(): Promise<void>;
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[?([^\]]*?)\]?:)?(\d{1,5})$/.exec(listen.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) {
    throw new TypeError(`server.listen: expected host:port, :port or port (got "${listen}")`);
  }
  const host = m[1] === undefined || m[1] === "" ? "0.0.0.0" : m[1];
  return { host, port };
}

export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const { host, port } = parseListen(opts.listen);
  let stopping = false;
  const server: Server = createServer((req, res) => {
    const url = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    switch (url) {
      case "/healthz": {
        const reason = stopping ? "stopping" : opts.health?.unhealthyReason();
        res
          .writeHead(reason === undefined ? 200 : 503, { "content-type": "text/plain" })
          .end(reason === undefined ? "ok\n" : stopping ? "stopping\n" : `unhealthy: ${reason}\n`);
        return;
      }
      case "/readyz": {
        const stuck = opts.health?.unhealthyReason();
        const reason = stopping
          ? "stopping"
          : (opts.readiness.notReadyReason() ?? (stuck === undefined ? undefined : `stuck: ${stuck}`));
        res
          .writeHead(reason === undefined ? 200 : 503, { "content-type": "text/plain" })
          .end(reason === undefined ? "ready\n" : `not ready: ${reason}\n`);
        return;
      }
      case "/metrics":
        opts.registry.metrics().then(
          (text) => res.writeHead(200, { "content-type": opts.registry.contentType }).end(text),
          (err: unknown) => {
            opts.logger.error({ err }, "collecting metrics failed");
            res.writeHead(500).end();
          },
        );
        return;
      default:
        res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const address = `${addr.address.includes(":") ? `[${addr.address}]` : addr.address}:${addr.port}`;
  opts.logger.info({ address }, "ops server listening (/metrics /healthz /readyz)");
  return {
    address,
    markStopping: () => {
      stopping = true;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
