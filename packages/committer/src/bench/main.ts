// Committer benchmarks: `npm run bench -w @shiplog/committer` (after building). Real Redis, real nodegit.
// Prints figures and, for each, a baseline measured in the same run. Sizes can be scaled with
// BENCH_SCALE (e.g. 0.2 for a quick run).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue, QueueEvents } from "bullmq";
import type { WatchMessage } from "@shiplog/core";
import { QueueNames } from "@shiplog/core";
import { Committer } from "../committer.js";
import { ObjectTypes } from "../git/object-types.js";
import { openRepo } from "../git/repo.js";
import type { GitRepo } from "../git/repo.js";
import { TreeStore } from "../git/tree-store.js";
import { baseOptions, dropPrefix, redisConnection, uniquePrefix } from "../testing/fixtures.js";
import { configMap } from "../testing/messages.js";

const SCALE = Number(process.env["BENCH_SCALE"] ?? "1");
const n = (x: number): number => Math.max(1, Math.round(x * SCALE));
const tmp = (name: string): string => mkdtempSync(join(tmpdir(), `shiplog-bench-${name}-`));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/** A committer as the benchmarks run it: default timings except the window, nothing published. */
function benchCommitter(
  repoPath: string,
  prefix: string,
  quietPeriodMs: number,
  maxWindowMs: number,
): Committer {
  return new Committer({
    ...baseOptions(repoPath, prefix, "bench"),
    quietPeriodMs,
    maxWindowMs,
    publish: false,
  });
}

/** Commit `tree` on top of `head` and move the branch there (the baselines' one-commit-at-a-time loop). */
async function commitTree(
  repo: GitRepo,
  tree: string,
  head: string | null,
  message: string,
): Promise<string> {
  const sha = await repo.writeCommit({
    tree,
    parents: head ? [head] : [],
    author: { name: "x", email: "x@x", timeMs: Date.now() },
    committer: { name: "x", email: "x@x", timeMs: Date.now() },
    message: `${message}\n`,
  });
  await repo.updateRef(sha, head, message);
  return sha;
}

async function waitDrained(queue: Queue, committer: Committer): Promise<void> {
  for (;;) {
    const c = await queue.getJobCounts("wait", "active");
    if ((c["wait"] ?? 0) === 0 && (c["active"] ?? 0) === 0 && committer.status().windowEvents === 0) return;
    await sleep(20);
  }
}

/**
 * Sustained throughput: a pre-filled queue drained into commits. Twice: 4 events per object (a window
 * collapses them) and one event per object (every event is a file to write: the worst case).
 */
async function throughput(): Promise<void> {
  for (const objects of [n(5000), n(20000)]) await throughputRun(n(20000), objects);
}

async function throughputRun(events: number, objects: number): Promise<void> {
  const prefix = uniquePrefix("bench-tp");
  const repoPath = tmp("tp");
  const queue = new Queue<WatchMessage>(QueueNames.events, { connection: redisConnection, prefix });
  const managers = ["kubectl-edit", "helm", "argocd-controller", "kube-scheduler-ext"];
  for (let i = 0; i < events; i += 1000) {
    const batch = [];
    for (let j = i; j < Math.min(events, i + 1000); j++) {
      const o = j % objects;
      batch.push(
        configMap(
          `ns-${o % 50}`,
          `obj-${o}`,
          { v: String(j), payload: "x".repeat(200) },
          { manager: managers[o % 4] ?? "m" },
        ),
      );
    }
    await queue.addBulk(batch.map((data) => ({ name: "change", data, opts: { removeOnComplete: true } })));
  }
  const committer = benchCommitter(repoPath, prefix, 200, 5000);
  const t0 = performance.now();
  await committer.start();
  await waitDrained(queue, committer);
  const seconds = (performance.now() - t0) / 1000;
  const commits = committer.status().commits;
  await committer.stop();
  await queue.close();
  await dropPrefix(prefix);
  rmSync(repoPath, { recursive: true, force: true });

  // Baseline: the naive sequential loop, one nodegit commit per event (no windows, no batching).
  const baseEvents = n(1000);
  const basePath = tmp("naive");
  const repo = await openRepo({ path: basePath });
  const store = new TreeStore(repo.objects, null);
  let head: string | null = null;
  const b0 = performance.now();
  for (let j = 0; j < baseEvents; j++) {
    const o = j % objects;
    const msg = configMap(`ns-${o % 50}`, `obj-${o}`, { v: String(j), payload: "x".repeat(200) });
    const blob = await repo.objects.write(ObjectTypes.blob, Buffer.from(msg.content ?? ""));
    const staged = await store.stage(new Map([[msg.path, blob]]));
    store.adopt(staged);
    head = await commitTree(repo, staged.rootOid, head, "naive");
  }
  const baseSeconds = (performance.now() - b0) / 1000;
  repo.close();
  rmSync(basePath, { recursive: true, force: true });
  console.log(
    `throughput: ${events} events (${objects} objects, 4 authors) -> ${commits} commits in ${seconds.toFixed(2)} s = ${Math.round(events / seconds)} events/s` +
      ` | baseline naive sequential nodegit loop (1 commit/event): ${baseEvents} events in ${baseSeconds.toFixed(2)} s = ${Math.round(baseEvents / baseSeconds)} events/s`,
  );
}

/** Enqueue -> commit (acknowledge) latency at a steady 200 events/s. */
async function latency(): Promise<void> {
  const quietPeriodMs = 1000;
  const maxWindowMs = 5000;
  const prefix = uniquePrefix("bench-lat");
  const repoPath = tmp("lat");
  const queue = new Queue<WatchMessage>(QueueNames.events, { connection: redisConnection, prefix });
  const events = new QueueEvents(QueueNames.events, { connection: redisConnection, prefix });
  await events.waitUntilReady();
  const sent = new Map<string, number>();
  const lat: number[] = [];
  events.on("completed", ({ jobId }) => {
    const t = sent.get(jobId);
    if (t !== undefined) lat.push(Date.now() - t);
  });
  const committer = benchCommitter(repoPath, prefix, quietPeriodMs, maxWindowMs);
  await committer.start();
  while (committer.status().state !== "running") await sleep(20);
  // Baseline in the same run: one lone event (latency = quiet period + commit).
  const lone = await queue.add("change", configMap("lone", "one", { v: "1" }, { manager: "m" }), {
    removeOnComplete: true,
  });
  sent.set(lone.id ?? "", Date.now());
  while (lat.length < 1) await sleep(10);
  const loneMs = lat.pop() ?? Number.NaN;
  const seconds = n(30);
  const perTick = 20; // 20 events every 100 ms = 200/s
  const t0 = Date.now();
  let i = 0;
  for (let tick = 0; tick < seconds * 10; tick++) {
    const batch = Array.from({ length: perTick }, () => {
      const k = i++;
      return configMap(`ns-${k % 20}`, `obj-${k % 2000}`, { v: String(k) }, { manager: `m${k % 3}` });
    });
    const jobs = await queue.addBulk(
      batch.map((data) => ({ name: "change", data, opts: { removeOnComplete: true } })),
    );
    const now = Date.now();
    for (const j of jobs) sent.set(j.id ?? "", now);
    const next = t0 + (tick + 1) * 100;
    if (next > Date.now()) await sleep(next - Date.now());
  }
  const rate = i / ((Date.now() - t0) / 1000);
  while (lat.length < i) await sleep(50);
  lat.sort((a, b) => a - b);
  await committer.stop();
  await events.close();
  await queue.close();
  await dropPrefix(prefix);
  rmSync(repoPath, { recursive: true, force: true });
  console.log(
    `latency at ${rate.toFixed(0)} events/s for ${seconds} s (quiet ${quietPeriodMs} ms, max window ${maxWindowMs} ms): p50 ${quantile(lat, 0.5)} ms, p99 ${quantile(lat, 0.99)} ms, max ${lat[lat.length - 1]} ms (target p99 <= ${maxWindowMs + 1000} ms)` +
      ` | baseline lone event: ${loneMs} ms`,
  );
}

/** A repo with `files` files, 100 per directory. Returns the repo and its head. */
async function repoOfSize(files: number, nested = false): Promise<{ repo: GitRepo; path: string }> {
  const path = tmp(`size-${files}`);
  const repo = await openRepo({ path });
  const store = new TreeStore(repo.objects, null);
  const changes = new Map<string, string>();
  for (let i = 0; i < files; i++) {
    const blob = await repo.objects.write(
      ObjectTypes.blob,
      Buffer.from(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: f${i}\n`),
    );
    const dir = nested
      ? `ns-${Math.floor(i / 1000)}/type-${Math.floor(i / 100) % 10}`
      : `ns-${Math.floor(i / 100)}/configmaps`;
    changes.set(`${dir}/f${i}.yaml`, blob);
  }
  const staged = await store.stage(changes);
  await commitTree(repo, staged.rootOid, null, "init");
  return { repo, path };
}

/** Mean ms per one-change commit, from a cold TreeStore (as after a restart), over `rounds` commits. */
async function oneChangeCommits(
  repo: GitRepo,
  rounds: number,
  changedDir = "ns-0/configmaps",
): Promise<{ first: number; mean: number }> {
  let head = await repo.head();
  const store = new TreeStore(repo.objects, await repo.treeOf(head));
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    const blob = await repo.objects.write(ObjectTypes.blob, Buffer.from(`changed ${r} ${Math.random()}\n`));
    const staged = await store.stage(new Map([[`${changedDir}/f${r % 100}.yaml`, blob]]));
    head = await commitTree(repo, staged.rootOid, head, "one change");
    store.adopt(staged);
    times.push(performance.now() - t0);
  }
  const warm = times.slice(1);
  return { first: times[0] ?? Number.NaN, mean: warm.reduce((s, t) => s + t, 0) / Math.max(1, warm.length) };
}

async function commitCost(): Promise<void> {
  const small = await repoOfSize(1000);
  const large = await repoOfSize(n(100000));
  const rounds = 200;
  const s = await oneChangeCommits(small.repo, rounds);
  const l = await oneChangeCommits(large.repo, rounds);
  // Baseline: re-encoding the whole tree each commit (what an index- or full-listing-based writer does).
  const full = async (repo: GitRepo): Promise<number> => {
    const t0 = performance.now();
    const store = new TreeStore(repo.objects, null);
    const base = new TreeStore(repo.objects, await repo.treeOf(await repo.head()));
    const changes = new Map<string, string>();
    for (const ns of await base.dirNames("")) {
      for (const name of await base.fileNames(`${ns}/configmaps`)) {
        changes.set(`${ns}/configmaps/${name}`, (await base.fileOid(`${ns}/configmaps/${name}`)) ?? "");
      }
    }
    await store.stage(changes);
    return performance.now() - t0;
  };
  const fs = await full(small.repo);
  const fl = await full(large.repo);
  const smallN = await repoOfSize(1000, true);
  const largeN = await repoOfSize(n(100000), true);
  const sn = await oneChangeCommits(smallN.repo, rounds, "ns-0/type-0");
  const ln = await oneChangeCommits(largeN.repo, rounds, "ns-0/type-0");
  for (const r of [small, large, smallN, largeN]) {
    r.repo.close();
    rmSync(r.path, { recursive: true, force: true });
  }
  console.log(
    `commit cost, one change, layout <ns>/<type>/ with 10 types x 100 objects per namespace: 1,000 files ${sn.mean.toFixed(2)} ms, ${n(100000).toLocaleString("en")} files ${ln.mean.toFixed(2)} ms, ratio ${(ln.mean / sn.mean).toFixed(2)}`,
  );
  console.log(
    `commit cost, one change, layout of 100 objects per namespace (100,000 files = 1,000 namespaces in the root): 1,000 files ${s.mean.toFixed(2)} ms (cold first ${s.first.toFixed(1)} ms), ${n(100000).toLocaleString("en")} files ${l.mean.toFixed(2)} ms (cold first ${l.first.toFixed(1)} ms), ratio ${(l.mean / s.mean).toFixed(2)} (target <= 2)` +
      ` | baseline full-tree rewrite: 1,000 files ${fs.toFixed(1)} ms, ${n(100000).toLocaleString("en")} files ${fl.toFixed(1)} ms, ratio ${(fl / fs).toFixed(1)}`,
  );
}

const which = process.argv[2] ?? "all";
if (which === "all" || which === "cost") await commitCost();
if (which === "all" || which === "throughput") await throughput();
if (which === "all" || which === "latency") await latency();
process.exit(0);
