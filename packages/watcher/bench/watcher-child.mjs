// Child process of initial-list.mjs: runs one measured part in its own process so that its peak RSS
// (VmHWM) is the watcher's alone. Prints JSON lines on stdout.
//   node watcher-child.mjs baseline <kubeconfig> <namespace> <pageSize>
//   node watcher-child.mjs watcher  <kubeconfig> <namespace> <pageSize> <redisPort> <prefix> <expectEvents>
//   BENCH_STREAMING=0 lists in pages, =1 by streaming lists (streaming-list.mjs; default: the watcher's).
//   restart.mjs also sets BENCH_RESUME=<scope> (resume), BENCH_KILL_AFTER_SYNC=1 (SIGKILL itself once
//   synced and checkpointed) or BENCH_SETTLE_MS=<ms> (report what it queued that long after the sync).
//   With BENCH_V8_FLAGS set, the child first applies those flags the way `shiplog run` does
//   (packages/cli/src/runtime/v8-flags.ts), before anything else is imported.
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { applyV8Flags } from "../../cli/dist/runtime/v8-flags.js";

if (process.env.BENCH_V8_FLAGS) applyV8Flags(process.env.BENCH_V8_FLAGS.split(" ").filter(Boolean));
const { KubeConfig } = await import("@kubernetes/client-node");
const { createCanonicalizer, defaultConfig } = await import("@shiplog/core");
const { ApiClient, Watcher } = await import("@shiplog/watcher");

const [mode, kubeconfig, namespace, pageSizeArg, redisPort, prefix, expectArg] = process.argv.slice(2);
const pageSize = Number(pageSizeArg);
const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
const TYPES = [
  { group: "", version: "v1", resource: "configmaps", kind: "ConfigMap", namespaced: true },
  { group: "", version: "v1", resource: "secrets", kind: "Secret", namespaced: true },
];

function hwmMB() {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}
const out = (o) => process.stdout.write(JSON.stringify(o) + "\n");
// Where the memory goes: the largest V8 heap / off-heap figures seen, sampled every 50 ms.
const peak = { heapUsedMB: 0, heapTotalMB: 0, externalMB: 0, arrayBuffersMB: 0 };
setInterval(() => {
  const m = process.memoryUsage();
  peak.heapUsedMB = Math.max(peak.heapUsedMB, m.heapUsed / 1048576);
  peak.heapTotalMB = Math.max(peak.heapTotalMB, m.heapTotal / 1048576);
  peak.externalMB = Math.max(peak.externalMB, m.external / 1048576);
  peak.arrayBuffersMB = Math.max(peak.arrayBuffersMB, m.arrayBuffers / 1048576);
}, 50).unref();
const startRssMB = process.memoryUsage().rss / 1048576;

if (mode === "baseline") {
  // Raw paginated list with no canonicalize and no enqueue: what the apiserver and JSON parsing cost.
  const client = new ApiClient(kc);
  const signal = new AbortController().signal;
  const t0 = performance.now();
  let n = 0;
  for (const t of TYPES) {
    let cont;
    do {
      const page = await client.list(
        t,
        { limit: pageSize, ...(cont ? { continueToken: cont } : {}) },
        signal,
      );
      n += page.items.filter((o) => o.metadata?.namespace === namespace).length;
      cont = page.continueToken;
    } while (cont);
  }
  out({ phase: "baseline", objects: n, ms: performance.now() - t0, hwmMB: hwmMB(), startRssMB, peak });
  process.exit(0);
}

const cfg = defaultConfig();
const canonicalizer = createCanonicalizer({
  normalize: cfg.normalize,
  secrets: cfg.secrets,
  hmacKey: "bench-fingerprint-key-0123456789",
  watch: cfg.watch,
});
const w = new Watcher({
  kubeConfig: kc,
  queue: { connection: { host: "127.0.0.1", port: Number(redisPort) }, prefix },
  canonicalizer,
  include: { resources: ["configmaps", "secrets"], namespaces: [namespace] },
  pageSize,
  maxBuffered: 20_000,
  ...(process.env.BENCH_STREAMING ? { streamingLists: process.env.BENCH_STREAMING === "1" } : {}),
  // restart.mjs: resume from (and keep) the stored resourceVersions under this scope
  ...(process.env.BENCH_RESUME ? { resume: { scope: process.env.BENCH_RESUME } } : {}),
});
let peakBuffered = 0;
setInterval(() => {
  peakBuffered = Math.max(peakBuffered, w.status().buffered);
}, 50).unref();
const t0 = performance.now();
await w.start();
await w.initialSyncDone();
/** Messages enqueued so far (of one op, or all), read from the watcher's prom-client counter. */
async function enqueued(op) {
  const { values } = await w.metrics.enqueued.get();
  return values.filter((v) => op === undefined || v.labels.op === op).reduce((s, v) => s + v.value, 0);
}
const objects = w.status().types.reduce((s, t) => s + t.objects, 0);
const enq = await enqueued();
const streamingLists = {};
for (const v of (await w.metrics.streamingLists.get()).values)
  streamingLists[v.labels.outcome] = (streamingLists[v.labels.outcome] ?? 0) + v.value;
const afterSync = process.memoryUsage();
out({
  phase: "synced", objects, messages: enq, ms: performance.now() - t0, hwmMB: hwmMB(), startRssMB, peak: { ...peak },
  rssAfterSyncMB: afterSync.rss / 1048576, peakBuffered, heapUsedAfterSyncMB: afterSync.heapUsed / 1048576,
  streamingLists,
}); // prettier-ignore

if (process.env.BENCH_KILL_AFTER_SYNC) {
  // restart.mjs: let the last messages and checkpoints reach Redis, then die as kill -9 would
  while (w.status().buffered > 0) await sleep(20);
  await sleep(1000);
  out({ phase: "killing" });
  process.kill(process.pid, "SIGKILL");
}
if (process.env.BENCH_SETTLE_MS) {
  // restart.mjs: what a restart queues besides the first sync (changes made while it was down)
  await sleep(Number(process.env.BENCH_SETTLE_MS));
  while (w.status().buffered > 0) await sleep(20);
  const { values } = await w.metrics.enqueued.get();
  const byOp = {};
  for (const v of values) byOp[v.labels.op] = (byOp[v.labels.op] ?? 0) + v.value;
  out({ phase: "settled", messages: await enqueued(), byOp, hwmMB: hwmMB() });
  await w.stop();
  process.exit(0);
}

// Sustained events: the parent now updates `expect` objects; measure from the first modified event
// until Redis accepted all of them.
const expect = Number(expectArg);
if (!(expect > 0)) {
  await w.stop();
  process.exit(0);
}
let first;
for (;;) {
  const mods = await enqueued("modified");
  if (mods > 0 && first === undefined) first = performance.now();
  if (mods >= expect && w.status().buffered === 0) break;
  await sleep(20);
}
const ms = performance.now() - first;
out({ phase: "events", events: expect, ms, perSec: (expect / ms) * 1000, hwmMB: hwmMB() });
await w.stop();
process.exit(0);
