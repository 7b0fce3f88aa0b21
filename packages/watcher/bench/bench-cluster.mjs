// Shared by the watcher's benchmarks: a private control plane and Redis from the test harness, a
// keep-alive HTTPS client for the apiserver, bulk creation of the benchmark objects, and a child
// runner that reads the child's JSON lines (each child's VmHWM is its own peak RSS).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import * as https from "node:https";
import { fileURLToPath } from "node:url";
import { startControlPlane, startPrivateRedis } from "../../../test/dist/harness/index.js";

export const CONCURRENCY = 32;
/** Objects per list page in the watcher benchmarks (the watcher's default). */
export const PAGE = 500;

/** The object counts given on the command line (`node bench.mjs 10000 100000`), or 10,000. */
export function sizesFromArgv(argv = process.argv) {
  const sizes = argv
    .slice(2)
    .map(Number)
    .filter((n) => n > 0);
  return sizes.length > 0 ? sizes : [10_000];
}
const CHILD = fileURLToPath(new URL("./watcher-child.mjs", import.meta.url));

export async function benchCluster() {
  const cp = await startControlPlane({ readyTimeoutMs: 300_000 });
  const redis = await startPrivateRedis();
  const server = new URL(cp.server);
  const agent = new https.Agent({ keepAlive: true, maxSockets: CONCURRENCY, ca: readFileSync(cp.caFile) });

  function call(method, path, body, contentType = "application/json") {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = https.request(
        {
          host: server.hostname, port: server.port, path, method, agent,
          headers: { Authorization: `Bearer ${cp.token}`, "Content-Type": contentType, ...(data ? { "Content-Length": Buffer.byteLength(data) } : {}) },
        },
        (res) => {
          const chunks = [];
          res.on("data", (c) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString();
            if (res.statusCode >= 300) reject(new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 300)}`));
            else resolve(text);
          });
        },
      ); // prettier-ignore
      req.on("error", reject);
      if (data) req.write(data);
      req.end();
    });
  }

  /** Creates namespace `ns` and n objects in it (90% ConfigMaps with ~200 B of data, 10% Secrets); returns ms. */
  async function createObjects(ns, n) {
    await call("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    const t0 = performance.now();
    await pool(n, (i) => {
      const secret = i % 10 === 9;
      const obj = secret
        ? { apiVersion: "v1", kind: "Secret", metadata: { name: `s-${i}`, namespace: ns, labels: { app: "bench" } }, stringData: { password: `pw-${i}-${"x".repeat(40)}` } }
        : { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `c-${i}`, namespace: ns, labels: { app: "bench", shard: String(i % 16) } }, data: { "app.properties": `key=${i}\n${"setting=value\n".repeat(10)}` } }; // prettier-ignore
      return call("POST", `/api/v1/namespaces/${ns}/${secret ? "secrets" : "configmaps"}`, obj);
    });
    return performance.now() - t0;
  }

  /** Merge-patches the i-th ConfigMap (every 10th object is a Secret) with `data`. */
  function patchConfigMap(ns, i, data) {
    const k = Math.floor(i / 9) * 10 + (i % 9);
    return call(
      "PATCH",
      `/api/v1/namespaces/${ns}/configmaps/c-${k}`,
      { data },
      "application/merge-patch+json",
    );
  }

  async function close() {
    agent.destroy();
    await redis.stop();
    await cp.stop();
  }

  return { cp, redis, call, createObjects, patchConfigMap, close };
}

export async function pool(n, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        const i = next++;
        await fn(i);
      }
    }),
  );
}

/**
 * Runs watcher-child.mjs with `args` and `env`, calling `onLine` for each JSON line. Resolves with the
 * exit code, or the signal's name when it was killed (a child may SIGKILL itself on purpose).
 */
export function runChild(args, onLine, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, ...args], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, ...env },
    });
    let buf = "";
    child.stdout.on("data", (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        onLine(JSON.parse(line));
      }
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve(signal ?? code));
  });
}
