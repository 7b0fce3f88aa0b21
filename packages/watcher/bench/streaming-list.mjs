#!/usr/bin/env node
// Benchmark: the watcher's initial list of N objects (90% ConfigMaps, 10% Secrets) in pages of 500
// (the baseline, same run) and by streaming lists (WatchList, sendInitialEvents; ADR 0043). For each:
// time to the initial sync, the watcher's peak RSS (its own child process, VmHWM), and the apiserver's
// peak RSS during the list (its VmHWM reset through /proc/<pid>/clear_refs before each run).
//
//   npm run build -w @shiplog/core -w @shiplog/watcher -w @shiplog/cli && npx tsc -p test
//   node packages/watcher/bench/streaming-list.mjs [N ...]        default: 10000
import { readFileSync, writeFileSync } from "node:fs";
import { DEFAULT_V8_FLAGS } from "../../cli/dist/runtime/v8-flags.js";
import { benchCluster, runChild, sizesFromArgv, PAGE } from "./bench-cluster.mjs";

const sizes = sizesFromArgv();
const ROUNDS = 2; // pages, streaming, pages, streaming: the apiserver's caches are warm for both

const bench = await benchCluster();
const { cp, redis, call } = bench;
const apiserver = cp.pids().apiserver;

const statusKB = (pid, field) => {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : NaN;
};

async function measure(ns, n, streaming, round) {
  writeFileSync(`/proc/${apiserver}/clear_refs`, "5"); // VmHWM := current RSS
  const apiBeforeMB = statusKB(apiserver, "VmRSS") / 1024;
  let synced;
  const code = await runChild(
    ["watcher", cp.kubeconfigPath, ns, String(PAGE), String(redis.port), `stream-${n}-${round}-${streaming}-${Date.now()}`, "0"],
    (o) => {
      if (o.phase === "synced") synced = o;
    },
    { BENCH_STREAMING: streaming ? "1" : "0", BENCH_V8_FLAGS: DEFAULT_V8_FLAGS },
  ); // prettier-ignore
  if (code !== 0 || synced === undefined) throw new Error(`watcher child exited ${code}`);
  const apiPeakMB = statusKB(apiserver, "VmHWM") / 1024;
  const r = {
    n, streaming, round, objects: synced.objects, ms: synced.ms, watcherPeakMB: synced.hwmMB,
    apiBeforeMB, apiPeakMB, apiGrowthMB: apiPeakMB - apiBeforeMB, outcomes: synced.streamingLists,
  }; // prettier-ignore
  console.log(
    `# N=${n} ${streaming ? "streaming list" : "pages (baseline)"} round ${round}: ${r.objects} objects in ${(r.ms / 1000).toFixed(2)} s; watcher peak RSS ${r.watcherPeakMB.toFixed(0)} MB; apiserver RSS ${apiBeforeMB.toFixed(0)} -> peak ${apiPeakMB.toFixed(0)} MB (+${r.apiGrowthMB.toFixed(0)}); outcomes ${JSON.stringify(r.outcomes)}`,
  );
  return r;
}

const results = [];
try {
  for (const n of sizes) {
    const ns = `stream-${n}`;
    const createMs = await bench.createObjects(ns, n);
    console.log(`# N=${n}: created in ${(createMs / 1000).toFixed(1)} s`);
    for (let round = 1; round <= ROUNDS; round++) {
      results.push(await measure(ns, n, false, round));
      results.push(await measure(ns, n, true, round));
    }
    await call("DELETE", `/api/v1/namespaces/${ns}`);
  }
} finally {
  await bench.close();
}
console.log(JSON.stringify(results, null, 2));
