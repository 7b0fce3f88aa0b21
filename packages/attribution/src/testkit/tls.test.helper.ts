/**
 * Test-only: certificates made with the openssl CLI in a temporary directory (a CA, a serving
 * certificate for 127.0.0.1, a client certificate from that CA and one from a stranger's CA), and a
 * small HTTPS client that trusts the test CA. Not part of the package API.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { request } from "node:https";
import type { IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLIENT_EXTENSIONS, newTestCa, newTestLeaf } from "@shiplog/core/testing";

export interface TestPki {
  readonly dir: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** A client certificate signed by `caCert`. */
  readonly clientCert: string;
  readonly clientKey: string;
  /** A client certificate signed by another CA, which the receiver must not trust. */
  readonly strangerCert: string;
  readonly strangerKey: string;
  /** PEM contents of `caCert`, for clients. */
  readonly ca: Buffer;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function createTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), "shiplog-attribution-pki-"));
  const ca = await newTestCa(dir, "test-ca");
  const stranger = await newTestCa(dir, "stranger-ca");
  const [server, client, strangerClient] = await Promise.all([
    newTestLeaf(dir, ca, "receiver", [
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "extendedKeyUsage=serverAuth",
      "keyUsage=critical,digitalSignature",
    ]),
    newTestLeaf(dir, ca, "kube-apiserver", CLIENT_EXTENSIONS),
    newTestLeaf(dir, stranger, "intruder", CLIENT_EXTENSIONS),
  ]);
  return {
    dir,
    caCert: ca.cert,
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
    strangerCert: strangerClient.cert,
    strangerKey: strangerClient.key,
    ca: await readFile(ca.cert),
    async [Symbol.asyncDispose]() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface PostOptions {
  readonly ca: Buffer;
  readonly body?: string | Buffer;
  readonly headers?: Record<string, string>;
  readonly method?: string;
  /** Client certificate and key files. */
  readonly cert?: string;
  readonly key?: string;
  readonly timeoutMs?: number;
}

/** One HTTPS request to 127.0.0.1 on a fresh connection; rejects after `timeoutMs` (default 5 s). */
export async function post(port: number, path: string, o: PostOptions): Promise<Answer> {
  const [cert, key] = await Promise.all([
    o.cert === undefined ? undefined : readFile(o.cert),
    o.key === undefined ? undefined : readFile(o.key),
  ]);
  const timeoutMs = o.timeoutMs ?? 5000;
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: o.method ?? "POST",
        ca: o.ca,
        ...(cert === undefined ? {} : { cert }),
        ...(key === undefined ? {} : { key }),
        agent: false,
        headers: { "content-type": "application/json", ...o.headers },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer from ${path} within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(o.body);
  });
}
