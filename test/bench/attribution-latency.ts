// How long after the watcher sees a change the identity behind it is known: a real control plane
// whose audit webhook posts to an AttributionReceiver (HTTPS on 127.0.0.1, its own CA, a bearer
// token) storing into an IdentityStore on Redis; a client-node watch on ConfigMaps stands in for the
// watcher and calls IdentityAttribution.authorFor for every event it sees. N writes (create, update,
// delete, ...) are made as the static-token user alice, paced evenly. Two control planes in sequence:
// --audit-webhook-mode=batch with --audit-webhook-batch-max-wait=1s (what shiplog's docs set up), and
// the same-run baseline --audit-webhook-mode=blocking (every event sent before the request returns).
//
//   cd test && npx tsc -p tsconfig.json && node dist/bench/attribution-latency.js [writes] [perSecond]   (200, 20)
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CoreV1Api, KubeConfig, Watch } from "@kubernetes/client-node";
import type { V1ConfigMap } from "@kubernetes/client-node";
import {
  AttributionReceiver,
  IdentityAttribution,
  IdentityStore,
  createAttributionMetrics,
} from "@shiplog/attribution";
import type { Author, ChangeMessage } from "@shiplog/core";
import { Redis } from "ioredis";
import { startControlPlane } from "../harness/control-plane.js";
import { createPki } from "../harness/pki.js";
import { testRedis } from "../harness/redis.js";
import { uniquePrefix } from "../harness/unique.js";

const WRITES = Number(process.argv[2] ?? "200");
const PER_SECOND = Number(process.argv[3] ?? "20");
if (!Number.isInteger(WRITES) || WRITES < 3) throw new TypeError(`writes must be an integer >= 3`);
if (!(PER_SECOND > 0)) throw new TypeError(`perSecond must be > 0`);
const GRACE_MS = 10_000;
const NAMESPACE = "bench-attribution";

type Mode = "batch" | "blocking";

interface Outcome {
  readonly op: ChangeMessage["op"];
  /** From the watch event's arrival to authorFor's answer. */
  readonly delayMs: number;
  readonly author: Author;
}

interface ModeResult {
  readonly mode: Mode;
  readonly outcomes: Outcome[];
  /** delayMs as IdentityAttribution's onAttributed reported it. */
  readonly reported: number[];
  readonly writeMs: number[];
  readonly auditPosts: Record<string, number>;
  readonly startupMs: number;
}

const OPS: Readonly<Record<string, ChangeMessage["op"]>> = {
  ADDED: "added",
  MODIFIED: "modified",
  DELETED: "deleted",
};

function change(type: string, cm: V1ConfigMap, observedAt: Date): ChangeMessage | undefined {
  const op = OPS[type];
  const name = cm.metadata?.name;
  if (op === undefined || name === undefined) return undefined;
  const managers = cm.metadata?.managedFields ?? [];
  const manager = managers[managers.length - 1]?.manager;
  return {
    kind: "change",
    op,
    type: "configmaps",
    key: { group: "", version: "v1", resource: "configmaps", kind: "ConfigMap", namespace: NAMESPACE, name },
    path: `${NAMESPACE}/configmaps/${name}.yaml`,
    resourceVersion: cm.metadata?.resourceVersion ?? "",
    observedAt: observedAt.toISOString(),
    ...(manager !== undefined ? { manager } : {}),
  };
}

/** Write number i: create, update, delete of object floor(i/3), in turn. */
async function write(api: CoreV1Api, i: number): Promise<void> {
  const name = `cm-${Math.floor(i / 3)}`;
  const body = { metadata: { name, namespace: NAMESPACE }, data: { i: String(i) } };
  switch (i % 3) {
    case 0:
      await api.createNamespacedConfigMap({ namespace: NAMESPACE, body });
      return;
    case 1:
      await api.replaceNamespacedConfigMap({ name, namespace: NAMESPACE, body });
      return;
    default:
      await api.deleteNamespacedConfigMap({ name, namespace: NAMESPACE });
  }
}

async function runMode(mode: Mode, redis: Redis): Promise<ModeResult> {
  const dir = mkdtempSync(join(tmpdir(), "shiplog-bench-attr-"));
  const prefix = uniquePrefix(`attribution-latency-${mode}`);
  const token = randomBytes(24).toString("hex");
  const metrics = createAttributionMetrics();
  const pki = await createPki(join(dir, "pki"));
  const store = new IdentityStore({ redis, prefix });
  const receiver = new AttributionReceiver({
    tls: { certFile: pki.servingCert, keyFile: pki.servingKey },
    auth: { bearerTokens: [token] },
    store,
    metrics,
    // In blocking mode the apiserver posts every audit event on its own; the default 50/s per
    // address would refuse some of them, and this measures delivery, not the limiter.
    rateLimit: { audit: { perSecond: 5000, burst: 10_000 } },
  });
  const port = await receiver.listen(0, "127.0.0.1");
  let cp: Awaited<ReturnType<typeof startControlPlane>> | undefined;
  let watch: AbortController | undefined;
  let stopping = false;
  try {
    cp = await startControlPlane({
      auditWebhook: {
        url: `https://127.0.0.1:${port}/audit`,
        caFile: pki.caCert,
        token,
        mode,
        batchMaxWait: "1s",
      },
      staticTokenUsers: [{ user: "alice", groups: ["dev"] }],
    });
    const setup: Array<[string[], string]> = [
      [["create", "namespace", NAMESPACE], "namespace"],
      [["create", "role", "cm-writer", "--verb=*", "--resource=configmaps", "-n", NAMESPACE], "role"],
      [["create", "rolebinding", "alice-cm", "--role=cm-writer", "--user=alice", "-n", NAMESPACE], "binding"],
    ];
    for (const [args, what] of setup) {
      const r = await cp.kubectl(args);
      if (r.code !== 0) throw new Error(`kubectl ${what}: ${r.stderr}`);
    }
    const admin = cp.kubeConfig();
    const list = await admin.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace: NAMESPACE });
    const aliceKc = new KubeConfig();
    aliceKc.loadFromFile(await cp.tokenKubeconfig("alice"));
    const alice = aliceKc.makeApiClient(CoreV1Api);

    const reported: number[] = [];
    const attribution = new IdentityAttribution({
      store,
      fallback: {
        authorFor: (c: ChangeMessage): Author => ({
          name: c.manager ?? "unknown",
          email: `${c.manager ?? "unknown"}@bench.invalid`,
          source: "field-manager",
        }),
      },
      domain: "bench.invalid",
      graceMs: GRACE_MS,
      onAttributed: (r: { delayMs: number }) => reported.push(r.delayMs),
    });

    const outcomes: Outcome[] = [];
    const pending: Array<Promise<void>> = [];
    let allSeen: () => void = () => undefined;
    let ended: (err: Error) => void = () => undefined;
    const watched = new Promise<void>((resolve, reject) => {
      allSeen = resolve;
      ended = reject;
    });
    watched.catch(() => undefined); // awaited below; an early end must not be an unhandled rejection
    // Resolves once the watch is connected; events after the list's resourceVersion all arrive.
    watch = await new Watch(admin).watch(
      `/api/v1/namespaces/${NAMESPACE}/configmaps`,
      { resourceVersion: list.metadata?.resourceVersion },
      (type: string, obj: V1ConfigMap) => {
        const seen = new Date();
        const c = change(type, obj, seen);
        if (c === undefined) return;
        pending.push(
          attribution.authorFor(c).then((author) => {
            outcomes.push({ op: c.op, delayMs: Date.now() - seen.getTime(), author });
          }),
        );
        if (pending.length === WRITES) allSeen();
      },
      (err: unknown) => {
        if (!stopping) ended(new Error("the watch ended early", { cause: err }));
      },
    );

    const writeMs: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < WRITES; i++) {
      const due = t0 + (i * 1000) / PER_SECOND;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const w0 = performance.now();
      await write(alice, i);
      writeMs.push(performance.now() - w0);
    }
    const late = new AbortController();
    await Promise.race([
      watched,
      sleep(30_000, undefined, { signal: late.signal }).then(() => {
        throw new Error(`saw ${pending.length} of ${WRITES} watch events within 30 s`);
      }),
    ]).finally(() => late.abort());
    await Promise.all(pending);

    const auditPosts: Record<string, number> = {};
    for (const v of (await metrics.requests.get()).values) {
      if (v.labels["endpoint"] === "audit") auditPosts[String(v.labels["result"])] = v.value;
    }
    return { mode, outcomes, reported, writeMs, auditPosts, startupMs: cp.startupMs };
  } finally {
    stopping = true;
    watch?.abort();
    await cp?.stop();
    await receiver.close();
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
    rmSync(dir, { recursive: true, force: true });
  }
}

const pct = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? NaN;

function summary(r: ModeResult): string[] {
  const delays = r.outcomes.map((o) => o.delayMs).sort((a, b) => a - b);
  const attributed = r.outcomes.filter((o) => o.author.source === "audit" && o.author.name === "alice");
  const fellBack = r.outcomes.filter((o) => o.author.source !== "audit").length;
  const ms = (x: number): string => `${Math.round(x)} ms`;
  const writes = [...r.writeMs].sort((a, b) => a - b);
  return [
    r.mode === "batch" ? "batch, max wait 1s" : "baseline: blocking",
    ms(pct(delays, 0.5)),
    ms(pct(delays, 0.95)),
    ms(pct(delays, 0.99)),
    ms(delays[delays.length - 1] ?? NaN),
    `${attributed.length}/${r.outcomes.length} (${((100 * attributed.length) / r.outcomes.length).toFixed(1)}%)`,
    String(fellBack),
    `${ms(pct(writes, 0.5))} / ${ms(pct(writes, 0.99))}`,
    Object.entries(r.auditPosts)
      .map(([k, v]) => `${k}=${v}`)
      .join(" "),
  ];
}

async function main(): Promise<void> {
  const redisServer = await testRedis();
  const redis = new Redis({ host: redisServer.host, port: redisServer.port, maxRetriesPerRequest: 1 });
  try {
    console.log(
      `attribution latency: ${WRITES} ConfigMap writes (create/update/delete) as alice at ${PER_SECOND}/s, ` +
        `grace ${GRACE_MS} ms, poll 100 ms (default), audit policy: the harness's (Metadata level)`,
    );
    const results: ModeResult[] = [];
    for (const mode of ["batch", "blocking"] as const) {
      const r = await runMode(mode, redis);
      const reported = [...r.reported].sort((a, b) => a - b);
      console.log(
        `  ${mode}: control plane started in ${(r.startupMs / 1000).toFixed(1)} s; onAttributed reported ` +
          `${reported.length} delays, p50 ${Math.round(pct(reported, 0.5))} ms, ` +
          `p99 ${Math.round(pct(reported, 0.99))} ms`,
      );
      const byOp = (["added", "modified", "deleted"] as const).map((op) => {
        const d = r.outcomes
          .filter((o) => o.op === op)
          .map((o) => o.delayMs)
          .sort((a, b) => a - b);
        return `${op} ${d.length}: p50 ${Math.round(pct(d, 0.5))} ms, p99 ${Math.round(pct(d, 0.99))} ms`;
      });
      console.log(`    by event: ${byOp.join("; ")}`);
      results.push(r);
    }
    const head = [
      "audit webhook", "p50", "p95", "p99", "max", "attributed (audit, alice)", "fallbacks",
      "write p50 / p99", "audit POSTs by result",
    ]; // prettier-ignore
    const rows = results.map(summary);
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
    const line = (cells: readonly string[]): string =>
      "| " + cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ") + " |";
    console.log("\n" + [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n"));
    const all = results.every((r) =>
      r.outcomes.every((o) => o.author.source === "audit" && o.author.name === "alice"),
    );
    if (!all) process.exitCode = 1;
  } finally {
    await redis.quit();
    await redisServer.stop();
  }
}

await main();
