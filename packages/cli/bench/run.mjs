#!/usr/bin/env node
// Benchmark: `shiplog run` on N objects (issue 14). A private control plane and Redis from the test
// harness; N objects (90% ConfigMaps with ~200 B of data, 10% Secrets) in one namespace. For the
// current CLI and for the baseline CLI (the same command built at an earlier commit, measured in the
// same run), each with its own repository and Redis prefix and the default config (quiet period 5 s):
//   1. start: time from spawn until /readyz answers 200, peak RSS (VmHWM of the process), the longest
//      Redis command meanwhile (SLOWLOG, commands over 1 ms), and log lines about the lease or lock;
//   2. burst: W merge-patches of ConfigMaps as fast as 32 connections go, then one marker patch; the
//      time from the marker's answer until the branch holds it, minus the quiet period;
//   3. restart: kill -9, then a new process on the unchanged cluster: time to ready, jobs queued by it;
//   4. stop (SIGTERM). Peak RSS is read from /proc just before each kill.
//
//   npm run build && npx tsc -p test
//   BASELINE_CLI=$(packages/cli/bench/baseline-build.sh <commit>) node packages/cli/bench/run.mjs [N ...]
// Env: BENCH_BURST (default 20000) writes in the burst. Without BASELINE_CLI only the current CLI runs.
// BENCH_REDIS_RT: see below. PREVIOUS_CLI (optional): a third build, run between the two, to measure one change in the same run.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { benchCluster, pool, sizesFromArgv } from "../../watcher/bench/bench-cluster.mjs";

// CURRENT_CLI: a frozen build of the current commit (baseline-build.sh HEAD), so a rebuild meanwhile does not mix code
const CURRENT = process.env.CURRENT_CLI ?? fileURLToPath(new URL("../dist/main.js", import.meta.url));
const sizes = sizesFromArgv();
const BURST = Number(process.env.BENCH_BURST ?? 20_000);
const QUIET_MS = 5_000;
const clis = [
  ...(process.env.BASELINE_CLI ? [{ name: "baseline", main: process.env.BASELINE_CLI }] : []),
  ...(process.env.PREVIOUS_CLI ? [{ name: "previous", main: process.env.PREVIOUS_CLI }] : []),
  { name: "current", main: CURRENT },
];

const bench = await benchCluster();
const redis = new Redis({ host: "127.0.0.1", port: bench.redis.port });
await redis.config("SET", "slowlog-log-slower-than", "1000");
await redis.config("SET", "slowlog-max-len", "4096");
const results = [];
// SLOWLOG shows a BullMQ script as `evalsha <sha1>`: name it from BullMQ's own script sources.
const scriptNames = new Map();
const requireCjs = createRequire(import.meta.url);
const scriptsDir = join(dirname(requireCjs.resolve("bullmq/package.json")), "dist/cjs/scripts");
for (const f of readdirSync(scriptsDir).filter((f) => f.endsWith(".js") && f !== "index.js")) {
  for (const v of Object.values(requireCjs(join(scriptsDir, f))))
    if (v?.content) scriptNames.set(createHash("sha1").update(v.content).digest("hex"), v.name);
}
// How long Redis waited for a CPU (run-queue time from /proc/<pid>/schedstat): a command that the
// kernel descheduled shows its wait in SLOWLOG as if Redis had been working.
const redisPid = Number(/process_id:(\d+)/.exec(await redis.info("server"))?.[1]);
// BENCH_REDIS_RT=1 runs Redis's main thread SCHED_FIFO, as on a host of its own: SLOWLOG then shows
// Redis's work, not the time the 2-core machine had it waiting behind the apiserver, etcd and shiplog.
if (process.env.BENCH_REDIS_RT === "1") execFileSync("chrt", ["-f", "-p", "10", String(redisPid)]);
const redisWaitSeconds = () =>
  Number(readFileSync(`/proc/${redisPid}/schedstat`, "utf8").split(" ")[1]) / 1e9;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

async function longestCommand() {
  let best;
  for (const [, , micros, args] of await redis.slowlog("GET", 4096)) {
    const command =
      args[0] === "evalsha"
        ? (scriptNames.get(args[1]) ?? args.slice(0, 2).join(" "))
        : args.slice(0, 2).join(" ");
    if (best === undefined || micros > best.micros) best = { micros, command: command.slice(0, 60) };
  }
  await redis.slowlog("RESET");
  return best === undefined ? "none over 1 ms" : `${(best.micros / 1000).toFixed(1)} ms (${best.command})`;
}

const peakMb = (pid) => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
};

/** Spawns `shiplog run`; resolves once /readyz answers 200. */
async function start(main, env) {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [main, "run", "-n", env.BENCH_NS, "--listen", `127.0.0.1:${port}`], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let logs = "";
  child.stdout.on("data", (d) => (logs += d));
  child.stderr.on("data", (d) => (logs += d));
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve(signal ?? code)));
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`shiplog run exited ${child.exitCode}: ${logs.slice(-3000)}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (performance.now() - t0 > 900_000) throw new Error(`not ready in 900 s: ${logs.slice(-3000)}`);
    await sleep(100);
  }
  return { child, exited, readyMs: performance.now() - t0, logs: () => logs };
}

/** Log lines that say the committer lost or waited for its lock or lease. */
const lockTrouble = (logs) =>
  logs
    .split("\n")
    .filter((l) => /stepping down|lost (the|its) (lock|lease)|holds the repo lock|previous committer/.test(l))
    .length;

async function jobsAdded(prefix) {
  return Number((await redis.get(`${prefix}:shiplog-events:id`)) ?? 0);
}

function fileAt(repo, path) {
  try {
    return execFileSync("git", ["--git-dir", repo, "show", `main:${path}`], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
  } catch {
    return "";
  }
}

try {
  for (const n of sizes) {
    const ns = `bench-run-${n}`;
    const createMs = await bench.createObjects(ns, n);
    console.log(`# N=${n}: created in ${(createMs / 1000).toFixed(1)} s`);
    const configMaps = n - Math.floor(n / 10);
    for (const cli of clis) {
      const dir = mkdtempSync(join(tmpdir(), `bench-run-${cli.name}-`));
      const prefix = `bench-run-${cli.name}-${n}-${Date.now()}`;
      const repo = join(dir, "repo.git");
      const env = {
        PATH: process.env.PATH,
        HOME: dir,
        XDG_STATE_HOME: join(dir, "state"),
        SHIPLOG_KUBECONFIG: bench.cp.kubeconfigPath,
        SHIPLOG_REDIS_URL: `redis://127.0.0.1:${bench.redis.port}`,
        SHIPLOG_REDIS_PREFIX: prefix,
        SHIPLOG_REPO_PATH: repo,
        SHIPLOG_CLUSTER_NAME: "bench",
        SHIPLOG_LOG_LEVEL: "info",
        BENCH_NS: ns,
      };
      const r = { n, cli: cli.name };
      try {
        // 1. start
        await redis.slowlog("RESET");
        const waitBefore = redisWaitSeconds();
        const first = await start(cli.main, env);
        r.readySeconds = +(first.readyMs / 1000).toFixed(1);
        r.readyRedisCpuWaitSeconds = +(redisWaitSeconds() - waitBefore).toFixed(1);
        r.readyPeakMb = peakMb(first.child.pid);
        r.readyLongestRedis = await longestCommand();
        r.firstJobs = await jobsAdded(prefix);
        // 2. burst of writes, then a marker; latency of the marker beyond the quiet period
        const tBurst = performance.now();
        await pool(BURST, (i) => bench.patchConfigMap(ns, 1 + (i % (configMaps - 1)), { burst: `${i}` }));
        const burstSeconds = (performance.now() - tBurst) / 1000;
        const marker = `marker-${Date.now()}`;
        await bench.patchConfigMap(ns, 0, { burst: marker });
        const tMarker = performance.now();
        while (!fileAt(repo, `${ns}/configmaps/c-0.yaml`).includes(marker)) {
          if (performance.now() - tMarker > 300_000) throw new Error("marker not committed in 300 s");
          await sleep(50);
        }
        r.burstWritesPerSecond = Math.round(BURST / burstSeconds);
        r.burstBeyondQuietSeconds = +((performance.now() - tMarker - QUIET_MS) / 1000).toFixed(2);
        r.peakMb = peakMb(first.child.pid);
        r.longestRedis = await longestCommand();
        r.lockTrouble = lockTrouble(first.logs());
        // 3. kill -9 and restart on the unchanged cluster
        await sleep(2_000);
        first.child.kill("SIGKILL");
        await first.exited;
        const before = await jobsAdded(prefix);
        const again = await start(cli.main, env);
        r.restartReadySeconds = +(again.readyMs / 1000).toFixed(1);
        r.restartJobs = (await jobsAdded(prefix)) - before;
        r.restartPeakMb = peakMb(again.child.pid);
        r.restartLongestRedis = await longestCommand();
        r.restartLockTrouble = lockTrouble(again.logs());
        again.child.kill("SIGTERM");
        const end = await again.exited;
        if (end !== 0) throw new Error(`restarted shiplog run exited ${end}: ${again.logs().slice(-2000)}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      results.push(r);
      console.log(JSON.stringify(r));
    }
    await bench.call("DELETE", `/api/v1/namespaces/${ns}`);
  }
} finally {
  redis.disconnect();
  await bench.close();
}
console.log(
  "\n| N | CLI | ready | peak RSS at ready / after burst | longest Redis cmd (start); Redis's wait for a CPU meanwhile | lock/lease log lines | burst: writes/s, last change beyond quiet period | restart after kill -9: ready, jobs queued, peak RSS |",
);
console.log("|---|---|---|---|---|---|---|---|");
for (const r of results)
  console.log(
    `| ${r.n.toLocaleString("en")} | ${r.cli} | ${r.readySeconds} s | ${r.readyPeakMb} / ${r.peakMb} MB | ${r.readyLongestRedis}; ${r.readyRedisCpuWaitSeconds} s | ${r.lockTrouble} | ${r.burstWritesPerSecond}/s, ${r.burstBeyondQuietSeconds} s | ${r.restartReadySeconds} s, ${r.restartJobs}, ${r.restartPeakMb} MB |`,
  );
