/**
 * Bench-only child process: the load generator, started by `receiver.ts` under `taskset -c 1`.
 *
 *   node dist/bench/load.js <config JSON>     (talks to its parent over the IPC channel)
 *
 * Opens `connections` keep-alive HTTPS connections and keeps one request in flight on each (as the
 * apiserver's webhook client does per connection), every body made unique. After `warmupMs` it sends
 * `{ phase: "measuring" }`, counts the answers that arrive in the next `durationMs`, sends
 * `{ phase: "measured" }` at the window's end and `{ phase: "done", ... }` once the last answer is in.
 */
import { readFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { admissionReviews, auditBatches, eventCount, uniqueBody } from "./payloads.js";

export interface LoadConfig {
  readonly port: number;
  readonly kind: "audit" | "admission";
  readonly caFile: string;
  readonly token: string;
  readonly connections: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

export interface LoadResult {
  readonly phase: "done";
  readonly requests: number;
  readonly events: number;
  readonly errors: number;
  readonly bytes: number;
  readonly seconds: number;
  /** Request latencies in ms, sorted. */
  readonly latencies: number[];
  /** Statuses other than 200, with counts. */
  readonly statuses: Record<string, number>;
  /** Events in every answered (200) request, warm-up and tail included. */
  readonly eventsAnswered: number;
}

function post(agent: Agent, cfg: LoadConfig, path: string, body: string): Promise<number | string> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: cfg.port,
        path,
        method: "POST",
        agent,
        headers: {
          "content-type": "application/json",
          "content-length": String(Buffer.byteLength(body)),
          authorization: `Bearer ${cfg.token}`,
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? "{}") as LoadConfig;
  const templates = cfg.kind === "audit" ? auditBatches(32, new Date()) : admissionReviews(256);
  const events = templates.map((b) => (cfg.kind === "audit" ? eventCount(b) : 1));
  const path = cfg.kind === "audit" ? "/audit" : "/admission?timeout=10s";
  const agent = new Agent({
    keepAlive: true,
    maxSockets: cfg.connections,
    ca: readFileSync(cfg.caFile),
  });
  const start = performance.now();
  const measureFrom = start + cfg.warmupMs;
  const measureTo = measureFrom + cfg.durationMs;
  let n = 0;
  const result = { requests: 0, events: 0, errors: 0, bytes: 0 };
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let eventsAnswered = 0;

  const worker = async (): Promise<void> => {
    for (;;) {
      const now = performance.now();
      if (now >= measureTo) return;
      const i = n++;
      const t = i % templates.length;
      const body = uniqueBody(templates[t] ?? "", i);
      const t0 = performance.now();
      // A failed request (reset connection, ...) is counted under its error code, not fatal.
      const status = await post(agent, cfg, path, body).catch(
        (err: unknown) => `error:${(err as NodeJS.ErrnoException).code ?? "unknown"}`,
      );
      const t1 = performance.now();
      if (status === 200) eventsAnswered += events[t] ?? 0;
      // Answers that arrive inside the window count (throughput = completions per second).
      if (t1 < measureFrom || t1 >= measureTo) continue;
      if (status === 200) {
        result.requests++;
        result.events += events[t] ?? 0;
        result.bytes += body.length;
        latencies.push(t1 - t0);
      } else {
        result.errors++;
        statuses[String(status)] = (statuses[String(status)] ?? 0) + 1;
      }
    }
  };
  // The parent samples the server's CPU time at these two moments.
  setTimeout(() => process.send?.({ phase: "measuring" }), cfg.warmupMs);
  setTimeout(() => process.send?.({ phase: "measured" }), cfg.warmupMs + cfg.durationMs);
  await Promise.all(Array.from({ length: cfg.connections }, worker));
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const out: LoadResult = {
    phase: "done",
    ...result,
    seconds: cfg.durationMs / 1000,
    latencies,
    statuses,
    eventsAnswered,
  };
  process.send?.(out, () => process.disconnect?.());
}

await main();
