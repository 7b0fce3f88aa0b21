// Integration test of the bounded buffer against a real Redis and a real BullMQ queue: FIFO order,
// backpressure while Redis is unreachable, and recovery once a redis-server listens again.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { Queue } from "bullmq";
import type { ChangeMessage, QueuedMessage, WatchMessage } from "@shiplog/core";
import { QueueNames, messageBytes, queuedMessages, silentLogger, systemClock } from "@shiplog/core";
import { Registry } from "prom-client";
import { Enqueuer, jobsOf, LISTED_JOB_BYTES } from "./enqueuer.js";
import { createWatcherMetrics } from "./metrics.js";
import { metricValue } from "./testing/metric-value.js";
import { ResumeStore } from "./resume-store.js";
import { Redis } from "ioredis";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

function msg(i: number): ChangeMessage {
  return {
    kind: "change",
    op: "added",
    type: "configmaps",
    key: {
      group: "",
      version: "v1",
      resource: "configmaps",
      kind: "ConfigMap",
      namespace: "ns",
      name: `cm-${i}`,
    },
    path: `ns/configmaps/cm-${i}.yaml`,
    resourceVersion: String(i),
    observedAt: new Date().toISOString(),
    content: `n: ${i}\n`,
    contentHash: `h${i}`,
  };
}

/** The messages of the waiting jobs, in queue order (a batch's items one by one). */
async function readAll(queue: Queue): Promise<WatchMessage[]> {
  const jobs = await queue.getJobs(["waiting"], 0, -1, true);
  return jobs.flatMap((j) => queuedMessages(j.data as QueuedMessage));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      s.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

const prefix = `t-enqueuer-${randomBytes(4).toString("hex")}`;
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill("SIGKILL");
});

describe("Enqueuer", () => {
  it("sends runs of listed objects of one type as batches, bounded in items and bytes, in order", () => {
    const listed = (i: number, type = "configmaps", content = `n: ${i}\n`): ChangeMessage => ({
      ...msg(i),
      op: "listed",
      type,
      content,
    });
    const pending = (m: WatchMessage): { msg: WatchMessage; bytes: number } => ({
      msg: m,
      bytes: messageBytes(m),
    });
    const input = [
      ...Array.from({ length: 5 }, (_, i) => listed(i)),
      msg(5), // a watch event ends the run
      listed(6),
      ...Array.from({ length: 3 }, (_, i) => listed(7 + i, "secrets")),
      listed(10, "secrets", "x".repeat(LISTED_JOB_BYTES)), // too big to join the run
    ].map(pending);
    const jobs = jobsOf(input, 2);
    assert.deepEqual(
      jobs.map(
        (j) =>
          `${j.name}:${queuedMessages(j.data)
            .map((m) => (m.kind === "change" ? m.resourceVersion : ""))
            .join(",")}`,
      ),
      ["batch:0,1", "batch:2,3", "change:4", "change:5", "change:6", "batch:7,8", "change:9", "change:10"],
    );
    assert.deepEqual(
      jobs.flatMap((j) => queuedMessages(j.data)),
      input.map((p) => p.msg),
      "every message once, in order",
    );
    for (const { data } of jobs) {
      if (data.kind === "batch")
        assert.ok(
          data.items.every((m) => m.type === data.type),
          "one type per batch",
        );
    }
    assert.equal(jobsOf(input, 1).length, input.length, "listedPerJob 1: one job per message");
  });

  it("adds messages to one BullMQ queue in FIFO order and resolves acks", async () => {
    const queue = new Queue(QueueNames.events, { connection: { host: "127.0.0.1", port: 6379 }, prefix });
    const metrics = createWatcherMetrics(new Registry());
    const e = new Enqueuer({
      queue, maxBuffered: 10_000, batchSize: 64, jobOptions: { removeOnComplete: true },
      logger: silentLogger, metrics, clock: systemClock,
    }); // prettier-ignore
    e.start();
    let last = 0;
    for (let i = 0; i < 500; i += 50) last = e.push(Array.from({ length: 50 }, (_, k) => msg(i + k)));
    await e.whenAcked(last);
    const reader = new Queue(QueueNames.events, { connection: { host: "127.0.0.1", port: 6379 }, prefix });
    const got = await readAll(reader);
    assert.deepEqual(
      got.map((m) => (m.kind === "change" ? m.key.name : "")),
      Array.from({ length: 500 }, (_, i) => `cm-${i}`),
    );
    assert.equal(await metricValue(metrics.queueAddLatency, { type: "configmaps" }), 500);
    await e.close(1000);
    await reader.obliterate({ force: true });
    await reader.close();
  });

  it("reports full while Redis is unreachable, keeps every message and drains once Redis is up", async () => {
    const port = await freePort();
    const queue = new Queue(QueueNames.events, {
      connection: { host: "127.0.0.1", port, retryStrategy: () => 200 },
      prefix,
    });
    queue.on("error", () => undefined); // connection refused while the server is down: expected here
    const metrics = createWatcherMetrics(new Registry());
    const e = new Enqueuer({
      queue, maxBuffered: 100, batchSize: 20, jobOptions: { removeOnComplete: true },
      logger: silentLogger, metrics, clock: systemClock,
    }); // prettier-ignore
    e.start();
    const seq = e.push(Array.from({ length: 150 }, (_, i) => msg(i)));
    assert.equal(e.full, true);
    const ac = new AbortController();
    let writable = false;
    const w = e.whenWritable(ac.signal).then(() => {
      writable = true;
    });
    await sleep(1500);
    assert.equal(writable, false, "still full while Redis is down");
    assert.equal(e.buffered, 150);

    const child = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      {
        stdio: "ignore",
      },
    );
    children.push(child);
    await w;
    await e.whenAcked(seq);
    assert.equal(e.buffered, 0);
    assert.equal(await metricValue(metrics.dropped), 0);
    const reader = new Queue(QueueNames.events, { connection: { host: "127.0.0.1", port }, prefix });
    const got = await readAll(reader);
    assert.equal(got.length, 150);
    assert.deepEqual(
      got.map((m) => (m.kind === "change" ? m.key.name : "")),
      Array.from({ length: 150 }, (_, i) => `cm-${i}`),
    );
    await reader.close();
    await e.close(1000);
    child.kill("SIGTERM");
  });

  it("bounds the buffer and each addBulk by bytes as well as by messages", async () => {
    // A queue that takes nothing until released: Redis slow, as seen from the watcher.
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const queue = {
      async addBulk(jobs: { data: QueuedMessage }[]): Promise<void> {
        await gate;
        batches.push(jobs.map((j) => (j.data.kind === "change" ? (j.data.content?.length ?? 0) : 0)));
      },
      close: () => Promise.resolve(),
    };
    const metrics = createWatcherMetrics(new Registry());
    const e = new Enqueuer({
      queue, maxBuffered: 10_000, maxBufferedBytes: 4 * 1024 * 1024, batchSize: 200, batchBytes: 1024 * 1024,
      jobOptions: {}, logger: silentLogger, metrics, clock: systemClock,
    }); // prettier-ignore
    e.start();
    const big = (i: number): ChangeMessage => ({ ...msg(i), content: "x".repeat(600 * 1024) });
    for (let i = 0; i < 6; i++) e.push([big(i)]);
    assert.equal(e.full, false, "6 x 600 KiB is below 4 MiB");
    const seq = e.push([big(6)]);
    assert.equal(e.buffered, 7, "far below the 10,000-message bound");
    assert.equal(e.full, true, "7 x 600 KiB reaches the byte bound");
    assert.ok((await metricValue(metrics.bufferedBytes)) >= 7 * 600 * 1024);
    const ac = new AbortController();
    let writable = false;
    const w = e.whenWritable(ac.signal).then(() => (writable = true));
    await sleep(50);
    assert.equal(writable, false);
    release();
    await w;
    await e.whenAcked(seq);
    // 600 KiB each and a 1 MiB batch bound: one message per addBulk (the first batch was cut before)
    assert.ok(batches.length >= 6, `${batches.length} batches`);
    assert.ok(batches.every((b) => b.length === 1 || b.reduce((x, y) => x + y, 0) <= 1024 * 1024));
    assert.equal(e.bufferedBytes, 0);
    // small messages still go up to batchSize per addBulk
    batches.length = 0;
    await e.whenAcked(e.push(Array.from({ length: 400 }, (_, i) => msg(i))));
    assert.deepEqual(
      batches.map((b) => b.length),
      [200, 200],
    );
    await e.close(1000);
  });

  it("lets go of a message as soon as Redis accepted it", async () => {
    // Before: sent messages stayed referenced by the buffer until 4,096 had accumulated and more
    // than half of it was sent, so a steady list kept thousands of sent messages on the heap.
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const queue = { addBulk: () => Promise.resolve(), close: () => Promise.resolve() };
    const e = new Enqueuer({
      queue, maxBuffered: 10_000, batchSize: 50, jobOptions: {}, logger: silentLogger,
      metrics: createWatcherMetrics(new Registry()), clock: systemClock,
    }); // prettier-ignore
    e.start();
    const refs: WeakRef<object>[] = [];
    // in a plain function: a suspended async frame may keep its last message in a register
    const pushAll = (): number => {
      let last = 0;
      for (let i = 0; i < 100; i++) {
        const m = { ...msg(i), content: "x".repeat(64 * 1024) };
        refs.push(new WeakRef(m));
        last = e.push([m]);
      }
      return last;
    };
    await e.whenAcked(pushAll());
    await sleep(10);
    gc();
    const kept = refs.flatMap((r, i) => (r.deref() !== undefined ? [i] : []));
    assert.deepEqual(kept, [], "no sent message is still referenced");
    await e.close(1000);
  });

  it("counts and logs what it could not send when closed while Redis is down", async () => {
    const port = await freePort();
    const queue = new Queue(QueueNames.events, {
      connection: { host: "127.0.0.1", port, retryStrategy: () => 200 },
      prefix,
    });
    queue.on("error", () => undefined);
    const metrics = createWatcherMetrics(new Registry());
    const logged: string[] = [];
    const logger = { ...silentLogger, error: (_o: object, m?: string) => void logged.push(m ?? "") };
    const e = new Enqueuer({
      queue, maxBuffered: 100, batchSize: 20, jobOptions: {}, logger, metrics, clock: systemClock,
    }); // prettier-ignore
    e.start();
    e.push([msg(1), msg(2), msg(3)]);
    await e.close(300);
    assert.equal(await metricValue(metrics.dropped, { type: "configmaps", reason: "shutdown" }), 3);
    assert.equal(logged.length, 1);
  });

  it("saves a checkpoint only after Redis acked the messages pushed before it", async () => {
    const connection = { host: "127.0.0.1", port: 6379 };
    const own = `${prefix}-resume`;
    const real = new Queue(QueueNames.events, { connection, prefix: own });
    let release: (() => void) | undefined;
    const gate = new Promise<void>((r) => (release = r));
    const queue = {
      addBulk: async (jobs: Parameters<Queue["addBulk"]>[0]) => {
        await gate; // Redis has not accepted the batch yet
        return real.addBulk(jobs);
      },
      close: () => real.close(),
    };
    const store = new ResumeStore(connection, own, "s");
    const redis = new Redis(connection);
    const key = `${own}:shiplog-watch-resume`;
    const e = new Enqueuer({
      queue, maxBuffered: 100, batchSize: 20, jobOptions: {}, logger: silentLogger,
      metrics: createWatcherMetrics(new Registry()), clock: systemClock, resume: store,
    }); // prettier-ignore
    try {
      e.start();
      const seq = e.push([msg(1), msg(2)]);
      e.checkpoint("configmaps", "2");
      await sleep(200);
      assert.deepEqual(await redis.hgetall(key), {}, "nothing saved before the ack");
      release?.();
      await e.whenAcked(seq);
      assert.deepEqual(await store.load(), new Map([["configmaps", "2"]]));
    } finally {
      await e.close(1000);
      await real.obliterate({ force: true }).catch(() => undefined);
      await redis.del(key);
      await redis.quit();
      await store.close();
    }
  });
});
