// The one place that turns HTTP answers and broken connections into our errors, against a local HTTP
// server speaking the apiserver's wire format (the e2e tests run it against a real kube-apiserver).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import type { ResourceType } from "@shiplog/core";
import { ApiClient, statusErrorFromEvent, type WatchEvent } from "./api-client.js";
import { ApiStatusError } from "./errors/api-status-error.js";
import { TransportError } from "./errors/transport-error.js";
import { TestTypes } from "@shiplog/core/testing";

const CM: ResourceType = TestTypes.configmaps;

function kubeConfig(server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server, skipTLSVerify: true }],
    users: [{ name: "u", token: "t" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  return kc;
}

async function withServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  fn: (client: ApiClient) => Promise<void>,
): Promise<void> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  try {
    await fn(new ApiClient(kubeConfig(`http://127.0.0.1:${port}`)));
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const status = (code: number, reason: string, message: string): Record<string, unknown> => ({
  kind: "Status",
  apiVersion: "v1",
  status: "Failure",
  code,
  reason,
  message,
});
const statusBody = (code: number, reason: string, message: string): string =>
  JSON.stringify(status(code, reason, message));

describe("ApiClient", () => {
  it("lists a page with its resourceVersion and continue token", async () => {
    let url = "";
    await withServer(
      (req, res) => {
        url = req.url ?? "";
        res.setHeader("content-type", "application/json");
        res.end(
          JSON.stringify({
            items: [{ metadata: { name: "a" } }],
            metadata: { resourceVersion: "7", continue: "n" },
          }),
        );
      },
      async (client) => {
        const page = await client.list(
          CM,
          { limit: 2, labelSelector: "app=x" },
          new AbortController().signal,
        );
        assert.deepEqual(page, {
          items: [{ metadata: { name: "a" } }],
          resourceVersion: "7",
          continueToken: "n",
        });
        assert.equal(url, "/api/v1/configmaps?labelSelector=app%3Dx&limit=2");
      },
    );
  });

  it("turns a 410 answer into an expired ApiStatusError carrying the Status reason", async () => {
    await withServer(
      (_req, res) => {
        res.writeHead(410, { "content-type": "application/json" });
        res.end(statusBody(410, "Expired", "The provided continue parameter is too old"));
      },
      async (client) => {
        const err = await client.list(CM, {}, new AbortController().signal).catch((e: unknown) => e);
        assert.ok(err instanceof ApiStatusError);
        assert.equal(err.code, 410);
        assert.equal(err.reason, "Expired");
        assert.equal(err.expired, true);
        assert.match(err.message, /too old/);
      },
    );
  });

  it("reads Retry-After of a 429 in milliseconds", async () => {
    await withServer(
      (_req, res) => {
        res.writeHead(429, { "content-type": "application/json", "retry-after": "7" });
        res.end(statusBody(429, "TooManyRequests", "slow down"));
      },
      async (client) => {
        const err = await client.list(CM, {}, new AbortController().signal).catch((e: unknown) => e);
        assert.ok(err instanceof ApiStatusError);
        assert.equal(err.tooManyRequests, true);
        assert.equal(err.retryAfterMs, 7000);
      },
    );
  });

  it("streams watch events, ERROR events included, and ends when the server closes", async () => {
    let url = "";
    await withServer(
      (req, res) => {
        url = req.url ?? "";
        res.writeHead(200, { "content-type": "application/json" });
        res.write(
          JSON.stringify({ type: "ADDED", object: { metadata: { name: "a", resourceVersion: "8" } } }) + "\n",
        );
        res.write(
          JSON.stringify({ type: "BOOKMARK", object: { metadata: { resourceVersion: "9" } } }) + "\n",
        );
        res.end(JSON.stringify({ type: "ERROR", object: status(410, "Expired", "too old") }) + "\n");
      },
      async (client) => {
        const events: WatchEvent[] = [];
        const signal = new AbortController().signal;
        const params = { resourceVersion: "5", timeoutSeconds: 300 };
        for await (const ev of client.watch(CM, params, signal)) events.push(ev);
        assert.deepEqual(
          events.map((e) => e.type),
          ["ADDED", "BOOKMARK", "ERROR"],
        );
        assert.match(url, /watch=true&resourceVersion=5&timeoutSeconds=300&allowWatchBookmarks=true/);
        const last = events[2];
        assert.ok(last);
        assert.equal(statusErrorFromEvent(last.object, "watch configmaps").expired, true);
      },
    );
  });

  it("turns a malformed watch line into a TransportError", async () => {
    await withServer(
      (_req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end("{not json\n");
      },
      async (client) => {
        const signal = new AbortController().signal;
        const it = client.watch(CM, { resourceVersion: "1", timeoutSeconds: 1 }, signal);
        const err = await it.next().catch((e: unknown) => e);
        assert.ok(err instanceof TransportError);
        assert.equal(err.code, "BAD_RESPONSE");
      },
    );
  });

  it("turns a refused connection into a TransportError with the system code", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const client = new ApiClient(kubeConfig(`http://127.0.0.1:${port}`));
    const err = await client.list(CM, {}, new AbortController().signal).catch((e: unknown) => e);
    assert.ok(err instanceof TransportError);
    assert.equal(err.code, "ECONNREFUSED");
  });
});
