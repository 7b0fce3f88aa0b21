#!/usr/bin/env node
// Benchmark: initial list + enqueue of N objects (90% ConfigMaps, 10% Secrets) created in bulk through
// a real apiserver, with time and peak RSS of the watcher (run in a child process, VmHWM), against a
// baseline measured in the same run (raw paginated list, no canonicalize, no enqueue, also in a child),
// then the sustained event rate the watcher pushes into Redis while the objects are updated.
//
//   npm run build -w @shiplog/core -w @shiplog/watcher -w @shiplog/cli -w @shiplog/e2e   (or tsc -p each)
//   node packages/watcher/bench/initial-list.mjs [N ...]        default: 10000
//
// Starts a private control plane and a private Redis through the test harness (test/dist/harness).
import { spawn } from "node:child_process";
import * as https from "node:https";
import { fileURLToPath } from "node:url";
import { DEFAULT_V8_FLAGS } from "../../cli/dist/runtime/v8-flags.js";
import { startControlPlane, startPrivateRedis } from "../../../test/dist/harness/index.js";

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
if (sizes.length === 0) sizes.push(10_000);
const PAGE = 500;
const CONCURRENCY = 32;
const CHILD = fileURLToPath(new URL("./watcher-child.mjs", import.meta.url));

const cp = await startControlPlane({ readyTimeoutMs: 300_000 });
const redis = await startPrivateRedis();
const kc = cp.kubeConfig();
const server = new URL(cp.server);
const agent = new https.Agent({
  keepAlive: true,
  maxSockets: CONCURRENCY,
  ca: (await import("node:fs")).readFileSync(cp.caFile),
});

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

async function pool(n, fn) {
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

function runChild(args, onLine, v8Flags = "") {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, ...args], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, BENCH_V8_FLAGS: v8Flags },
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
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`child exited ${code}`))));
  });
}

const results = [];
try {
  for (const n of sizes) {
    const ns = `bench-${n}`;
    await call("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    const t0 = performance.now();
    await pool(n, (i) => {
      const secret = i % 10 === 9;
      const obj = secret
        ? { apiVersion: "v1", kind: "Secret", metadata: { name: `s-${i}`, namespace: ns, labels: { app: "bench" } }, stringData: { password: `pw-${i}-${"x".repeat(40)}` } }
        : { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `c-${i}`, namespace: ns, labels: { app: "bench", shard: String(i % 16) } }, data: { "app.properties": `key=${i}\n${"setting=value\n".repeat(10)}` } }; // prettier-ignore
      return call("POST", `/api/v1/namespaces/${ns}/${secret ? "secrets" : "configmaps"}`, obj);
    });
    const createMs = performance.now() - t0;
    console.log(
      `# N=${n}: created in ${(createMs / 1000).toFixed(1)} s (${((n / createMs) * 1000).toFixed(0)}/s)`,
    );

    let baseline;
    await runChild(["baseline", cp.kubeconfigPath, ns, String(PAGE)], (o) => (baseline = o));
    console.log(
      `# N=${n}: baseline raw list ${baseline.objects} objects in ${(baseline.ms / 1000).toFixed(2)} s, peak RSS ${baseline.hwmMB.toFixed(0)} MB`,
    );

    const updates = Math.min(Math.floor(n * 0.9), 5000);
    // The watcher twice, each in a fresh process and queue: with V8's defaults, then with the flags
    // that `shiplog run` and `shiplog watch` apply. Each run then sees its own 5,000 updates.
    const watcherRun = async (label, v8Flags, round) => {
      let synced;
      let events;
      let updateMs = 0;
      await runChild(
        ["watcher", cp.kubeconfigPath, ns, String(PAGE), String(redis.port), `bench-${n}-${round}-${Date.now()}`, String(updates)],
        (o) => {
          if (o.phase === "synced") {
            synced = o;
            console.log(
              `# N=${n}: watcher (${label}) initial list+enqueue ${o.objects} objects (${o.messages} messages) in ${(o.ms / 1000).toFixed(2)} s, peak RSS ${o.hwmMB.toFixed(0)} MB, RSS after sync ${o.rssAfterSyncMB.toFixed(0)} MB`,
            );
            const u0 = performance.now();
            void pool(updates, (i) => {
              const k = Math.floor(i / 9) * 10 + (i % 9); // the i-th ConfigMap (every 10th object is a Secret)
              return call(
                "PATCH",
                `/api/v1/namespaces/${ns}/configmaps/c-${k}`,
                { data: { bump: `${round}-${i}` } },
                "application/merge-patch+json",
              );
            }).then(() => {
              updateMs = performance.now() - u0;
            });
          } else if (o.phase === "events") {
            events = o;
          }
        },
        v8Flags,
      ); // prettier-ignore
      console.log(
        `# N=${n}: watcher (${label}) ${events.events} updates: apiserver took ${(updateMs / 1000).toFixed(2)} s (${((events.events / updateMs) * 1000).toFixed(0)}/s); watcher pushed them into Redis at ${events.perSec.toFixed(0)}/s; peak RSS ${events.hwmMB.toFixed(0)} MB`,
      );
      return { synced, events, updateMs };
    };
    const defaults = await watcherRun("V8 defaults", "", 1);
    const flagged = await watcherRun(`${DEFAULT_V8_FLAGS}, as shiplog run applies it`, DEFAULT_V8_FLAGS, 2);
    results.push({ n, createMs, baseline, defaults, flagged });
    await call("DELETE", `/api/v1/namespaces/${ns}`);
  }
} finally {
  agent.destroy();
  await redis.stop();
  await cp.stop();
}
console.log(JSON.stringify(results, null, 2));
