#!/usr/bin/env node
// Benchmark: `shiplog snapshot` of N objects (issue 14, ADR 0039). A private control plane from the test
// harness; N objects (90% ConfigMaps with ~200 B of data, 10% Secrets) in one namespace; then, for the
// current CLI and for the baseline CLI (the same command built at an earlier commit, measured in the
// same run), two snapshots each into a fresh repository: the first (every object a new file) and a
// second one of the unchanged cluster (nothing to commit). Reported: wall time of the whole command
// (Node's start included) and its peak RSS (VmHWM, read at exit by peak-rss.cjs). Both repositories
// must end with the same tree.
//
//   npm run build && npx tsc -p test
//   BASELINE_CLI=$(packages/cli/bench/baseline-build.sh <commit>) node packages/cli/bench/snapshot.mjs [N ...]
// Without BASELINE_CLI only the current CLI is measured.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { benchCluster, sizesFromArgv } from "../../watcher/bench/bench-cluster.mjs";

// CURRENT_CLI: a frozen build of the current commit (baseline-build.sh HEAD), so a rebuild meanwhile does not mix code
const CURRENT = process.env.CURRENT_CLI ?? fileURLToPath(new URL("../dist/main.js", import.meta.url));
const PEAK = fileURLToPath(new URL("./peak-rss.cjs", import.meta.url));
const sizes = sizesFromArgv();
const clis = [
  ...(process.env.BASELINE_CLI ? [{ name: "baseline", main: process.env.BASELINE_CLI }] : []),
  { name: "current", main: CURRENT },
];

const bench = await benchCluster();
const results = [];
// One fingerprint key for every run: Secrets then have the same fingerprints in both CLIs' trees, and
// an unchanged cluster is unchanged (without it each run would make a key of its own).
const keyDir = mkdtempSync(join(tmpdir(), "bench-snapshot-key-"));
const hmacKeyFile = join(keyDir, "hmac.key");
writeFileSync(hmacKeyFile, "bench-snapshot-fingerprint-key-0123456789abcdef\n", { mode: 0o600 });

function snapshot(main, ns, repo) {
  const dir = mkdtempSync(join(tmpdir(), "bench-snapshot-"));
  const peakFile = join(dir, "peak");
  writeFileSync(peakFile, "");
  const env = {
    PATH: process.env.PATH,
    HOME: dir,
    XDG_STATE_HOME: join(dir, "state"),
    SHIPLOG_KUBECONFIG: bench.cp.kubeconfigPath,
    SHIPLOG_REPO_PATH: repo,
    SHIPLOG_HMAC_KEY_FILE: hmacKeyFile,
    SHIPLOG_CLUSTER_NAME: "bench",
    SHIPLOG_LOG_LEVEL: "warn",
    BENCH_PEAK_RSS_FILE: peakFile,
  };
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ["--require", PEAK, main, "snapshot", "-n", ns], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("exit", (code) => {
      const ms = performance.now() - t0;
      const kb = Number(readFileSync(peakFile, "utf8").trim().split("\n").pop() || 0);
      rmSync(dir, { recursive: true, force: true });
      if (code !== 0) reject(new Error(`snapshot exited ${code}: ${err.slice(-2000)}`));
      else resolve({ ms, peakMb: kb / 1024, out: out.trim() });
    });
  });
}

const tree = (repo) =>
  execFileSync("git", ["--git-dir", repo, "rev-parse", "main^{tree}"], { encoding: "utf8" }).trim();

try {
  for (const n of sizes) {
    const ns = `bench-snap-${n}`;
    const createMs = await bench.createObjects(ns, n);
    process.stdout.write(`\n${n} objects created in ${(createMs / 1000).toFixed(1)} s\n`);
    const trees = new Set();
    for (const cli of clis) {
      const repoDir = mkdtempSync(join(tmpdir(), `bench-snapshot-repo-${cli.name}-`));
      const repo = join(repoDir, "repo.git");
      try {
        const first = await snapshot(cli.main, ns, repo);
        const second = await snapshot(cli.main, ns, repo);
        trees.add(tree(repo));
        for (const [run, r] of [
          ["first", first],
          ["unchanged", second],
        ]) {
          const row = {
            n,
            cli: cli.name,
            run,
            seconds: +(r.ms / 1000).toFixed(2),
            peakMb: Math.round(r.peakMb),
          };
          results.push(row);
          process.stdout.write(`${JSON.stringify(row)}  # ${r.out.slice(0, 160)}\n`);
        }
      } finally {
        rmSync(repoDir, { recursive: true, force: true });
      }
    }
    if (trees.size !== 1)
      throw new Error(`the CLIs wrote different trees for ${n} objects: ${[...trees].join(", ")}`);
  }
} finally {
  await bench.close();
  rmSync(keyDir, { recursive: true, force: true });
}
process.stdout.write("\n| N | CLI | snapshot | time | peak RSS |\n|---|---|---|---|---|\n");
for (const r of results)
  process.stdout.write(
    `| ${r.n.toLocaleString("en")} | ${r.cli} | ${r.run} | ${r.seconds.toFixed(2)} s | ${r.peakMb} MB |\n`,
  );
