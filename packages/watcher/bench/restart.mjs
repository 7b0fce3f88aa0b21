#!/usr/bin/env node
// Benchmark: a watcher restart after kill -9 on N unchanged objects (issue 14, ADR 0038). A first
// watcher lists N objects (90% ConfigMaps, 10% Secrets) through a real apiserver into a real Redis,
// checkpoints, and SIGKILLs itself; 100 ConfigMaps are updated while it is down; then, each in its own
// child process (VmHWM is its own peak RSS):
//   - the watcher resuming from the stored resourceVersions (what `shiplog run` and `shiplog watch` do
//     now), and
//   - the baseline, measured in the same run: the same restart without resume (every type relisted,
//     the behaviour before ADR 0038).
// Reported for each: time from spawn to "synced" (initialSyncDone), the jobs it added to the queue,
// its peak RSS, and the longest Redis command of the first start and of the restart (SLOWLOG). Both run with the V8 flags `shiplog run` applies.
//
//   npm run build && npx tsc -p test
//   node packages/watcher/bench/restart.mjs [N ...]        default: 10000
import { Redis } from "ioredis";
import { DEFAULT_V8_FLAGS } from "../../cli/dist/runtime/v8-flags.js";
import { benchCluster, pool, runChild, sizesFromArgv, PAGE } from "./bench-cluster.mjs";

const sizes = sizesFromArgv();
const DOWNTIME_UPDATES = 100;
const SCOPE = "bench-restart";

const bench = await benchCluster();
const redis = new Redis({ host: "127.0.0.1", port: bench.redis.port });
const results = [];

/** The longest command in Redis's SLOWLOG (those over 1 ms) since the last reset, or undefined. */
async function longestCommand() {
  const entries = await redis.slowlog("GET", 1024);
  let best;
  for (const [, , micros, args] of entries) {
    if (best === undefined || micros > best.micros)
      best = { micros, command: args.slice(0, 2).join(" "), args: args.length };
  }
  return best;
}
const fmtSlow = (e) =>
  e === undefined ? "none over 1 ms" : `${(e.micros / 1000).toFixed(1)} ms (${e.command}, ${e.args} args)`;

/** One watcher process; resolves with its phases, how it ended and the spawn-to-synced time. */
async function watcher(ns, prefix, env) {
  const phases = {};
  const t0 = performance.now();
  let syncedAfterMs;
  const end = await runChild(
    ["watcher", bench.cp.kubeconfigPath, ns, String(PAGE), String(bench.redis.port), prefix, "0"],
    (o) => {
      phases[o.phase] = o;
      if (o.phase === "synced") syncedAfterMs = performance.now() - t0;
    },
    { BENCH_V8_FLAGS: DEFAULT_V8_FLAGS, ...env },
  );
  return { phases, end, syncedAfterMs };
}

try {
  for (const n of sizes) {
    const ns = `bench-restart-${n}`;
    const createMs = await bench.createObjects(ns, n);
    console.log(`# N=${n}: created in ${(createMs / 1000).toFixed(1)} s`);
    const waitKey = (prefix) => `${prefix}:shiplog-events:wait`;

    const run = async (label, resume) => {
      const prefix = `restart-${n}-${resume ? "resume" : "relist"}-${Date.now()}`;
      // 1. first start: list everything, checkpoint, kill -9; SLOWLOG keeps its Redis commands over 1 ms
      await redis.config("SET", "slowlog-log-slower-than", "1000");
      await redis.config("SET", "slowlog-max-len", "1024");
      await redis.slowlog("RESET");
      const first = await watcher(ns, prefix, { BENCH_RESUME: SCOPE, BENCH_KILL_AFTER_SYNC: "1" });
      const firstSlow = await longestCommand();
      if (first.end !== "SIGKILL") throw new Error(`first watcher ended ${first.end}`);
      const before = await redis.llen(waitKey(prefix));
      // 2. changes while it is down
      await pool(DOWNTIME_UPDATES, (i) => bench.patchConfigMap(ns, i * 7, { down: `${resume}-${i}` }));
      // 3. the restart
      await redis.slowlog("RESET");
      const again = await watcher(ns, prefix, {
        ...(resume ? { BENCH_RESUME: SCOPE } : {}),
        BENCH_SETTLE_MS: "3000",
      });
      if (again.end !== 0) throw new Error(`restarted watcher ended ${again.end}`);
      const againSlow = await longestCommand();
      const queued = (await redis.llen(waitKey(prefix))) - before;
      const r = {
        label,
        firstSyncMs: first.phases.synced.ms,
        firstQueued: before,
        readyMs: again.syncedAfterMs,
        queued,
        byOp: again.phases.settled.byOp,
        hwmMB: again.phases.settled.hwmMB,
        longestFirst: firstSlow,
        longestRestart: againSlow,
      };
      console.log(
        `# N=${n}: ${label}: first start queued ${before} jobs; restart after kill -9 synced ${(r.readyMs / 1000).toFixed(2)} s after spawn, queued ${queued} jobs (${JSON.stringify(r.byOp)}), peak RSS ${r.hwmMB.toFixed(0)} MB; longest Redis command: first start ${fmtSlow(firstSlow)}, restart ${fmtSlow(againSlow)}`,
      );
      await redis.del(waitKey(prefix));
      return r;
    };
    const baseline = await run("baseline, relist", false);
    const resumed = await run("resume", true);
    results.push({ n, createMs, baseline, resumed });
    await bench.call("DELETE", `/api/v1/namespaces/${ns}`);
  }
} finally {
  redis.disconnect();
  await bench.close();
}
console.log(JSON.stringify(results, null, 2));
