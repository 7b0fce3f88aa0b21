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
import { DEFAULT_V8_FLAGS } from "../../cli/dist/runtime/v8-flags.js";
import { benchCluster, pool, runChild as runAnyChild, sizesFromArgv, PAGE } from "./bench-cluster.mjs";

const sizes = sizesFromArgv();

const bench = await benchCluster();
const { cp, redis, call } = bench;

async function runChild(args, onLine, v8Flags = "") {
  const code = await runAnyChild(args, onLine, { BENCH_V8_FLAGS: v8Flags });
  if (code !== 0) throw new Error(`child exited ${code}`);
}

const results = [];
try {
  for (const n of sizes) {
    const ns = `bench-${n}`;
    const createMs = await bench.createObjects(ns, n);
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
            void pool(updates, (i) => bench.patchConfigMap(ns, i, { bump: `${round}-${i}` })).then(() => {
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
  await bench.close();
}
console.log(JSON.stringify(results, null, 2));
