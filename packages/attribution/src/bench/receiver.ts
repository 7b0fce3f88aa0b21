/**
 * Benchmark: the attribution receiver over real HTTPS, pinned to one core.
 *
 *   npm run build -w @shiplog/attribution && npm run bench -w @shiplog/attribution \
 *     [-- seconds=6 auditConnections=4 admissionConnections=8]
 *
 * Each phase runs the server in its own child process under `taskset -c 0` (`serve.ts`) and the load
 * generator in another under `taskset -c 1` (`load.ts`: keep-alive connections, bearer token, every
 * body unique). A private `redis-server --save '' --appendonly no`, also on core 1, backs the store.
 * Audit bodies are `audit.k8s.io/v1` EventLists of up to 400 events (see `payloads.ts`); admission
 * bodies are AdmissionReviews. Phases, in one run:
 *
 *   audit     echo      baseline: the same HTTPS server setup, reads the body, answers 200
 *   audit     no-store  receiver: auth, JSON.parse, parseAuditEventList, a sink that drops records
 *   audit     redis     receiver + IdentityStore on Redis
 *   admission echo      baseline, as above
 *   admission redis     receiver + IdentityStore on Redis
 *
 * For each: answers/s and events/s inside the measured window, p50/p99 request latency, the server
 * process's CPU time in the window (so rates per CPU-second are comparable on a busy machine), how
 * busy core 0 was with any process, the load generator's and redis-server's CPU, and the server's peak
 * RSS (VmHWM). Afterwards every value stored under the bench's prefix is searched for the Secret's
 * value; the exit code is 1 if one holds it or a request failed. Needs `taskset`, `redis-server` and
 * `openssl`; not root.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { createTestPki } from "../testkit/tls.test.helper.js";
import type { LoadConfig, LoadResult } from "./load.js";
import { SECRET_PLAINTEXT } from "./payloads.js";
import type { ServeConfig, ServeMode } from "./serve.js";

const arg = (name: string, fallback: number): number =>
  Number(
    process.argv
      .slice(2)
      .map((a) => new RegExp(`^${name}=(\\d+)$`).exec(a)?.[1])
      .find((v) => v !== undefined) ?? fallback,
  );
const seconds = arg("seconds", 6);
/** Keep-alive connections, one request in flight on each. */
const AUDIT_CONNECTIONS = arg("auditConnections", 4);
const ADMISSION_CONNECTIONS = arg("admissionConnections", 8);
const WARMUP_MS = 1500;
const CLK_TCK = 100; // Linux USER_HZ

interface Phase {
  readonly kind: LoadConfig["kind"];
  readonly mode: ServeMode;
  readonly connections: number;
  readonly label: string;
}

const PHASES: readonly Phase[] = [
  { kind: "audit", mode: "echo", connections: AUDIT_CONNECTIONS, label: "baseline: HTTPS read body + 200" },
  {
    kind: "audit",
    mode: "no-store",
    connections: AUDIT_CONNECTIONS,
    label: "receiver, no store (auth+parse)",
  },
  { kind: "audit", mode: "redis", connections: AUDIT_CONNECTIONS, label: "receiver + IdentityStore (Redis)" },
  {
    kind: "admission",
    mode: "echo",
    connections: ADMISSION_CONNECTIONS,
    label: "baseline: HTTPS read body + 200",
  },
  {
    kind: "admission",
    mode: "redis",
    connections: ADMISSION_CONNECTIONS,
    label: "receiver + IdentityStore (Redis)",
  },
];

interface PhaseResult {
  readonly phase: Phase;
  readonly load: LoadResult;
  /** Server CPU seconds inside the measured window. */
  readonly cpuSeconds: number;
  /** The load generator's and redis-server's CPU seconds in the window (both on core 1). */
  readonly loadCpuSeconds: number;
  readonly redisCpuSeconds: number;
  /** Share of core 0's time that any process (ours or not) used in the window. */
  readonly core0Busy: number;
  readonly peakRssMb: number;
  readonly records: number;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function pinned(core: number, args: string[], ipc: boolean): ChildProcess {
  return spawn("taskset", ["-c", String(core), ...args], {
    stdio: ipc ? ["ignore", "inherit", "inherit", "ipc"] : ["ignore", "ignore", "inherit"],
  });
}

/** utime + stime of a process, in seconds. */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Busy and total jiffies of one core, all processes (from /proc/stat). */
function coreTicks(core: number): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`cpu${core} `));
  const v = (line ?? "").trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? 0) / 1024;
}

function nextMessage<T>(child: ChildProcess, what: (m: unknown) => m is T): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown): void => {
      if (!what(m)) return;
      child.off("message", onMessage);
      child.off("exit", onExit);
      resolve(m);
    };
    const onExit = (code: number | null): void =>
      reject(
        new Error(`bench child ${child.spawnargs.slice(3, 4).join("")} exited (${code}) before answering`),
      );
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

const has =
  <K extends string>(key: K, value?: unknown) =>
  (m: unknown): m is Record<K, unknown> =>
    typeof m === "object" && m !== null && key in m && (value === undefined || (m as never)[key] === value);

async function runPhase(
  phase: Phase,
  files: { cert: string; key: string; ca: string },
  token: string,
  redis: { port: number; prefix: string; pid: number },
): Promise<PhaseResult> {
  const node = process.execPath;
  const serveCfg: ServeConfig = {
    mode: phase.mode,
    certFile: files.cert,
    keyFile: files.key,
    token,
    redisPort: redis.port,
    prefix: redis.prefix,
  };
  const server = pinned(0, [node, fileURLToPath(new URL("./serve.js", import.meta.url)), JSON.stringify(serveCfg)], true); // prettier-ignore
  try {
    const { port } = (await nextMessage(server, has("port"))) as { port: number };
    const loadCfg: LoadConfig = {
      port,
      kind: phase.kind,
      caFile: files.ca,
      token,
      connections: phase.connections,
      warmupMs: WARMUP_MS,
      durationMs: seconds * 1000,
    };
    const load = pinned(1, [node, fileURLToPath(new URL("./load.js", import.meta.url)), JSON.stringify(loadCfg)], true); // prettier-ignore
    const pid = server.pid ?? 0;
    const done = nextMessage(load, has("phase", "done")) as Promise<unknown> as Promise<LoadResult>;
    await nextMessage(load, has("phase", "measuring"));
    const lpid = load.pid ?? 0;
    const cpu0 = [cpuOf(pid), cpuOf(lpid), cpuOf(redis.pid)] as const;
    const busy0 = coreTicks(0);
    await nextMessage(load, has("phase", "measured"));
    const cpu1 = [cpuOf(pid), cpuOf(lpid), cpuOf(redis.pid)] as const;
    const busy1 = coreTicks(0);
    const result = await done;
    const rss = peakRssMb(pid);
    server.send("stop");
    const { records } = (await nextMessage(server, has("records"))) as { records: number };
    return {
      phase,
      load: result,
      cpuSeconds: cpu1[0] - cpu0[0],
      loadCpuSeconds: cpu1[1] - cpu0[1],
      redisCpuSeconds: cpu1[2] - cpu0[2],
      core0Busy: (busy1.busy - busy0.busy) / Math.max(1, busy1.total - busy0.total),
      peakRssMb: rss,
      records,
    };
  } finally {
    // After "stop" the server exits by itself (and writes a --cpu-prof profile); else it is ended.
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((r) => server.once("exit", r));
      const timer = setTimeout(() => server.kill("SIGTERM"), 3000);
      await exited;
      clearTimeout(timer);
    }
  }
}

async function startRedis(): Promise<{ port: number; child: ChildProcess; client: Redis }> {
  const port = await freePort();
  const child = pinned(
    1,
    ["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    false,
  );
  for (let i = 0; ; i++) {
    const client = new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 1 });
    client.on("error", () => undefined); // refused until redis-server listens; connect() rejects too
    try {
      await client.connect();
      await client.ping();
      return { port, child, client };
    } catch (err) {
      client.disconnect();
      if (i >= 100) throw new Error(`redis-server on ${port} did not answer`, { cause: err });
      await sleep(50);
    }
  }
}

/**
 * Every value stored under `prefix` searched for the Secret's value (plain and base64): the records in
 * the sorted sets, and the dump of any other key (the store's bookkeeping).
 */
async function secretLeaks(
  redis: Redis,
  prefix: string,
): Promise<{ keys: number; records: number; leaks: number }> {
  const needles = [SECRET_PLAINTEXT, Buffer.from(SECRET_PLAINTEXT).toString("base64")];
  const found = { keys: 0, records: 0, leaks: 0 };
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    found.keys += keys.length;
    const types = redis.pipeline();
    for (const k of keys) types.type(k);
    const typeOf = ((await types.exec()) ?? []).map(([, t]) => String(t));
    const reads = redis.pipeline();
    keys.forEach((k, i) => (typeOf[i] === "zset" ? reads.zrange(k, 0, -1) : reads.dump(k)));
    ((await reads.exec()) ?? []).forEach(([err, v], i) => {
      if (err !== null) throw err;
      const texts = typeOf[i] === "zset" ? (v as string[]) : [String(v)];
      if (typeOf[i] === "zset") found.records += texts.length;
      for (const t of texts) if (needles.some((n) => t.includes(n))) found.leaks++;
    });
  } while (cursor !== "0");
  return found;
}

const pct = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? NaN);

function table(results: readonly PhaseResult[]): string {
  const head = [
    "endpoint", "server (core 0)", "events/s", "requests/s", "p50 ms", "p99 ms", "server CPU",
    "core 0 busy (all)", "events/server CPU-s", "server peak RSS", "records kept/sent", "load CPU",
    "redis CPU",
  ]; // prettier-ignore
  const rows = results.map((r) => {
    const l = r.load;
    const perSec = (x: number): string => Math.round(x / l.seconds).toLocaleString("en-US");
    const share = (cpu: number): string => `${Math.round((100 * cpu) / l.seconds)}%`;
    return [
      r.phase.kind,
      r.phase.label,
      r.phase.kind === "audit" ? perSec(l.events) : "-",
      perSec(l.requests),
      pct(l.latencies, 0.5).toFixed(1),
      pct(l.latencies, 0.99).toFixed(1),
      share(r.cpuSeconds),
      `${Math.round(100 * r.core0Busy)}%`,
      r.cpuSeconds > 0 ? Math.round(l.events / r.cpuSeconds).toLocaleString("en-US") : "-",
      `${r.peakRssMb.toFixed(0)} MB`,
      r.phase.mode === "echo" ? "-" : `${r.records}/${l.eventsAnswered}`,
      share(r.loadCpuSeconds),
      r.phase.mode === "redis" ? share(r.redisCpuSeconds) : "-",
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    "| " + cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ") + " |";
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

async function main(): Promise<void> {
  await using pki = await createTestPki();
  const token = randomBytes(24).toString("hex");
  const prefix = `bench-attribution-${randomBytes(4).toString("hex")}`;
  const redis = await startRedis();
  let failed = false;
  try {
    process.stdout.write(
      `attribution receiver bench: server on core 0, load + redis-server on core 1, ` +
        `${seconds} s per phase after ${WARMUP_MS} ms warm-up, node ${process.version}\n`,
    );
    const results: PhaseResult[] = [];
    for (const phase of PHASES) {
      const r = await runPhase(phase, { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert }, token, {
        port: redis.port,
        prefix,
        pid: redis.child.pid ?? 0,
      });
      results.push(r);
      process.stdout.write(`  done: ${phase.kind} ${phase.mode}\n`);
      if (r.load.errors > 0) {
        failed = true;
        process.stdout.write(`  non-200 answers: ${JSON.stringify(r.load.statuses)}\n`);
      }
    }
    process.stdout.write("\n" + table(results) + "\n\n");
    const leaks = await secretLeaks(redis.client, prefix);
    process.stdout.write(
      `Redis after the run: ${leaks.keys} keys, ${leaks.records} records; ` +
        `values holding the Secret's value (plain or base64): ${leaks.leaks}\n`,
    );
    if (leaks.leaks > 0) failed = true;
  } finally {
    await redis.client.quit();
    const exited = new Promise((r) => redis.child.once("exit", r));
    redis.child.kill("SIGTERM");
    await exited;
  }
  if (failed) process.exitCode = 1;
}

await main();
