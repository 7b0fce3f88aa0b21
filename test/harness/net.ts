// Loopback networking helpers: free ports and small HTTP(S) requests for readiness probes and the
// etcd v3 JSON gateway.
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { createServer } from "node:net";

/** A TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => {
        if (addr && typeof addr === "object") resolve(addr.port);
        else reject(new Error("freePort: no address"));
      });
    });
  });
}

export interface HttpOptions {
  method?: string;
  body?: string;
  /** PEM CA bundle for https URLs. */
  ca?: string | Buffer;
  /** Accept any server certificate (for components with self-signed serving certs). */
  insecure?: boolean;
  token?: string;
  headers?: Record<string, string>;
  /** @defaultValue 5000 */
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  body: string;
}

/** One HTTP(S) request. Rejects on network errors and timeouts, never on a status code. */
export function httpCall(url: string, opts: HttpOptions = {}): Promise<HttpResponse> {
  const u = new URL(url);
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers["authorization"] = `Bearer ${opts.token}`;
  if (opts.body !== undefined) {
    headers["content-type"] = "application/json";
    headers["content-length"] = String(Buffer.byteLength(opts.body));
  }
  return new Promise((resolve, reject) => {
    const common = { method: opts.method ?? "GET", headers, timeout: opts.timeoutMs ?? 5000 };
    const onResponse = (res: IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", reject);
    };
    const req =
      u.protocol === "https:"
        ? httpsRequest(u, { ...common, ca: opts.ca, rejectUnauthorized: !opts.insecure }, onResponse)
        : httpRequest(u, common, onResponse);
    req.on("timeout", () => req.destroy(new Error(`${common.method} ${url}: timed out`)));
    req.on("error", reject);
    req.end(opts.body);
  });
}
