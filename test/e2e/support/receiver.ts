// A stand-in for a chat service or webhook endpoint: a node:http server on loopback that records every
// request and answers 200. The only component e2e tests replace (chat services are not ours to run).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  readonly at: number;
}

export interface Receiver extends AsyncDisposable {
  /** http://127.0.0.1:port */
  readonly url: string;
  readonly received: readonly ReceivedRequest[];
  /**
   * Commit shas named by shiplog webhook bodies received so far (`commit.sha`, or every
   * `digest.commits[].sha`), each with how many times it arrived.
   */
  commitShas(): Map<string, number>;
}

interface WebhookBody {
  kind?: string;
  commit?: { sha?: string };
  digest?: { commits?: { sha?: string }[] };
}

/** Shas a shiplog webhook body names; none for anything else. */
export function shasOf(body: string): string[] {
  let parsed: WebhookBody;
  try {
    parsed = JSON.parse(body) as WebhookBody;
  } catch {
    return [];
  }
  if (parsed.kind === "commit" && typeof parsed.commit?.sha === "string") return [parsed.commit.sha];
  if (parsed.kind === "digest")
    return (parsed.digest?.commits ?? []).flatMap((c) => (typeof c.sha === "string" ? [c.sha] : []));
  return [];
}

export async function startReceiver(): Promise<Receiver> {
  const received: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({
        path: req.url ?? "/",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
      });
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    commitShas() {
      const out = new Map<string, number>();
      for (const r of received) for (const sha of shasOf(r.body)) out.set(sha, (out.get(sha) ?? 0) + 1);
      return out;
    },
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
