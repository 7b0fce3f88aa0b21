/**
 * Benchmark: published commits per second through the whole notifier (commits queue -> guard ->
 * routing -> flood control -> per-sink queue -> render -> HTTP POST to a loopback receiver) on real
 * Redis, for 3 sinks (Slack, Discord, signed webhook). Baseline in the same run: a bare BullMQ worker
 * that POSTs each commit's JSON once to the same receiver (queue + HTTP cost without the notifier).
 *
 *   npm run bench:pipeline -w packages/notifier     (needs Redis on 127.0.0.1:6379)
 */
import { randomUUID } from "node:crypto";
import { Queue, Worker } from "bullmq";
import { QueueNames } from "@shiplog/core";
import { Notifier } from "../notifier.js";
import { Receiver } from "../testkit/receiver.test.helper.js";
import { change, commit } from "../testkit/commits.test.helper.js";
import { connection, deleteKeys } from "../testkit/redis.test.helper.js";
import { sinkTarget } from "../testkit/sinks.test.helper.js";

const N = Number(process.argv[2] ?? 300);

function commits(): ReturnType<typeof commit>[] {
  return Array.from({ length: N }, (_, i) =>
    commit({
      changes: [
        change({ name: `web-${i}` }),
        change({ type: "configmaps", kind: "ConfigMap", name: `cfg-${i}` }),
      ],
    }),
  );
}

async function baseline(rx: Receiver): Promise<number> {
  const prefix = `bench-notifier-base-${randomUUID().slice(0, 8)}`;
  const q = new Queue(QueueNames.commits, { connection, prefix });
  const url = rx.url("/base");
  const w = new Worker(
    QueueNames.commits,
    async (job) => {
      const res = await fetch(url, {
        method: "POST",
        body: JSON.stringify(job.data),
        headers: { "content-type": "application/json" },
      });
      await res.text();
    },
    { connection, prefix, concurrency: 1 },
  );
  await w.waitUntilReady();
  const start = performance.now();
  await q.addBulk(commits().map((c) => ({ name: "commit", data: c })));
  await rx.waitFor(() => rx.at("/base").length >= N, 120_000);
  const secs = (performance.now() - start) / 1000;
  await w.close();
  await q.close();
  await deleteKeys(prefix);
  return N / secs;
}

const unlimited = { perMinute: 100_000, digestAfter: 100_000 };

async function notifier(rx: Receiver): Promise<number> {
  const prefix = `bench-notifier-${randomUUID().slice(0, 8)}`;
  const n = new Notifier({
    queue: { connection, prefix },
    commitUrlTemplate: "https://git.example/h/commit/{sha}",
    sinks: [
      sinkTarget({ name: "slack", type: "slack", url: rx.url("/n/slack"), rateLimit: unlimited }),
      sinkTarget({ name: "discord", type: "discord", url: rx.url("/n/discord"), rateLimit: unlimited }),
      sinkTarget({
        name: "hook",
        type: "webhook",
        url: rx.url("/n/hook"),
        secret: "bench-secret-0123456789",
        rateLimit: unlimited,
      }),
    ],
  });
  await n.start();
  const q = new Queue(QueueNames.commits, { connection, prefix });
  const start = performance.now();
  await q.addBulk(commits().map((c) => ({ name: "commit", data: c })));
  await rx.waitFor((reqs) => reqs.filter((r) => r.path.startsWith("/n/")).length >= 3 * N, 300_000);
  const secs = (performance.now() - start) / 1000;
  await n.stop();
  await q.close();
  await deleteKeys(prefix);
  return N / secs;
}

const rx = await Receiver.start();
try {
  const base = await baseline(rx);
  console.log(
    `baseline: bare BullMQ worker, 1 POST per commit      ${base.toFixed(0).padStart(6)} commits/s`,
  );
  const full = await notifier(rx);
  console.log(
    `notifier: 3 sinks (slack, discord, webhook), N=${N}   ${full.toFixed(0).padStart(6)} commits/s (${(full * 3).toFixed(0)} messages/s)`,
  );
} finally {
  await rx.close();
}
