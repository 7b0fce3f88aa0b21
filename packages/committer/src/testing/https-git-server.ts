// A real HTTPS git remote for tests: `git http-backend` (CGI) behind a node https server on loopback,
// with a certificate from a throwaway CA made by openssl, and Basic auth with one token.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import type { Server } from "node:https";
import type { AddressInfo } from "node:net";
import { newTestCa, newTestLeaf } from "@shiplog/core/testing";

const HTTP_BACKEND = "/usr/lib/git-core/git-http-backend";

export interface HttpsGitServer extends AsyncDisposable {
  /** `https://127.0.0.1:<port>` (no trailing slash). */
  readonly origin: string;
  /** PEM of the CA that signed the server certificate. */
  readonly caFile: string;
  /** Requests the server saw, with whether they carried the right token. */
  readonly requests: { readonly path: string; readonly authorized: boolean }[];
}

export const httpBackendPath = HTTP_BACKEND;

/** A CA and a server certificate for 127.0.0.1 signed by it, in `dir`. */
async function makeCertificates(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const ca = await newTestCa(dir, "shiplog-test-ca");
  const server = await newTestLeaf(dir, ca, "127.0.0.1", [
    "subjectAltName=IP:127.0.0.1",
    "basicConstraints=CA:FALSE",
  ]);
  return { ca: ca.cert, cert: server.cert, key: server.key };
}

/**
 * Serve the repositories under `projectRoot` over HTTPS; every request needs Basic auth
 * `<user>:<token>` (401 otherwise). Certificates are written to `certDir`.
 */
export async function startHttpsGitServer(
  projectRoot: string,
  certDir: string,
  auth: { readonly user: string; readonly token: string },
): Promise<HttpsGitServer> {
  const { ca, cert, key } = await makeCertificates(certDir);
  const expected = `Basic ${Buffer.from(`${auth.user}:${auth.token}`).toString("base64")}`;
  const requests: { path: string; authorized: boolean }[] = [];
  const server: Server = createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
    const url = new URL(req.url ?? "/", "https://127.0.0.1");
    const authorized = req.headers.authorization === expected;
    requests.push({ path: url.pathname, authorized });
    if (!authorized) {
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="shiplog-test"' }).end();
      return;
    }
    const env: NodeJS.ProcessEnv = {
      PATH: process.env["PATH"],
      GIT_PROJECT_ROOT: projectRoot,
      GIT_HTTP_EXPORT_ALL: "1",
      GIT_CONFIG_NOSYSTEM: "1",
      HOME: projectRoot,
      PATH_INFO: url.pathname,
      QUERY_STRING: url.search.replace(/^\?/, ""),
      REQUEST_METHOD: req.method ?? "GET",
      CONTENT_TYPE: req.headers["content-type"] ?? "",
      REMOTE_USER: auth.user,
      REMOTE_ADDR: "127.0.0.1",
      ...(req.headers["content-length"] ? { CONTENT_LENGTH: req.headers["content-length"] } : {}),
      ...(req.headers["content-encoding"] ? { HTTP_CONTENT_ENCODING: req.headers["content-encoding"] } : {}),
      ...(typeof req.headers["git-protocol"] === "string"
        ? { GIT_PROTOCOL: req.headers["git-protocol"] }
        : {}),
    };
    const cgi = spawn(HTTP_BACKEND, [], { env, stdio: ["pipe", "pipe", "ignore"] });
    const out: Buffer[] = [];
    cgi.stdout.on("data", (d: Buffer) => out.push(d));
    req.pipe(cgi.stdin);
    cgi.on("close", () => {
      const all = Buffer.concat(out);
      let end = all.indexOf("\r\n\r\n");
      let sep = 4;
      if (end < 0) {
        end = all.indexOf("\n\n");
        sep = 2;
      }
      if (end < 0) {
        res.writeHead(502).end();
        return;
      }
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of all.toString("latin1", 0, end).split(/\r?\n/)) {
        const i = line.indexOf(":");
        if (i < 0) continue;
        const name = line.slice(0, i).trim();
        const value = line.slice(i + 1).trim();
        if (name.toLowerCase() === "status") status = Number(value.split(" ")[0]);
        else headers[name] = value;
      }
      res.writeHead(status, headers).end(all.subarray(end + sep));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `https://127.0.0.1:${port}`,
    caFile: ca,
    requests,
    [Symbol.asyncDispose]: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
