/**
 * Test-only: a chat service stand-in. A real node:http server on 127.0.0.1 that records every request
 * and answers with whatever the test scripts, per path. Not part of the package API.
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Recorded {
  readonly path: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
  readonly at: number;
}

export interface Reply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Never answer (the client's timeout has to end it). */
  readonly hang?: boolean;
}

export type Responder = (req: Recorded, nth: number) => Reply;

export class Receiver {
  readonly requests: Recorded[] = [];
  private readonly responders = new Map<string, Responder>();
  private readonly counts = new Map<string, number>();
  private readonly waiters: Array<() => void> = [];
  private readonly hanging = new Set<ServerResponse>();
  private server: Server | undefined;
  private base = "";

  static async start(): Promise<Receiver> {
    const r = new Receiver();
    await r.listen();
    return r;
  }

  private async listen(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const path = req.url ?? "/";
        const rec: Recorded = {
          path,
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
          at: Date.now(),
        };
        this.requests.push(rec);
        const nth = (this.counts.get(path) ?? 0) + 1;
        this.counts.set(path, nth);
        const responder: Responder = this.responders.get(path) ?? (() => ({ status: 200, body: "ok" }));
        const reply = responder(rec, nth);
        for (const w of this.waiters.splice(0)) w();
        if (reply.hang === true) {
          this.hanging.add(res);
          return;
        }
        res.writeHead(reply.status, { "content-type": "text/plain", ...reply.headers });
        res.end(reply.body ?? "");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.server = server;
    this.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  url(path: string): string {
    return `${this.base}${path}`;
  }

  on(path: string, responder: Responder): void {
    this.responders.set(path, responder);
  }

  at(path: string): Recorded[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** Wait until `predicate` holds for the recorded requests, or fail after `timeoutMs`. */
  async waitFor(
    predicate: (reqs: readonly Recorded[]) => boolean,
    timeoutMs = 10_000,
    what = "requests",
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.requests)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${this.requests.length} requests`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 100));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Drop the connections of requests that were left hanging. */
  release(): void {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
  }

  async close(): Promise<void> {
    this.release();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve, reject) =>
      this.server?.close((err) => (err ? reject(err) : resolve())),
    );
  }
}
