// EventConsumer against the real Redis: lock extension of a large held window goes in calls of at most
// EXTEND_CHUNK jobs (each one short BullMQ script), every lock is extended, and a lost lock is reported.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { QueueNames, silentLogger } from "@shiplog/core";
import { EventConsumer, EXTEND_CHUNK } from "./event-consumer.js";
import type { HeldJob } from "./event-consumer.js";
import { dropPrefix, redisConnection, uniquePrefix } from "./testing/fixtures.js";

describe("EventConsumer", () => {
  const prefix = uniquePrefix("consumer-extend");
  const redis = new Redis(redisConnection);
  after(async () => {
    redis.disconnect();
    await dropPrefix(prefix);
  });

  it("extends the locks of a large held window in short calls, and reports lost locks", async () => {
    const n = 2 * EXTEND_CHUNK + 7;
    const queue = new Queue(QueueNames.events, { connection: redisConnection, prefix });
    await queue.addBulk(Array.from({ length: n }, (_, i) => ({ name: "change", data: { i } })));
    const consumer = new EventConsumer({
      connection: redisConnection,
      prefix,
      jobLockMs: 5_000,
      stalledIntervalMs: 60_000,
      instanceId: "extend-test",
      logger: silentLogger,
      redis,
    });
    const calls: number[] = [];
    const worker = (
      consumer as unknown as { worker: { extendJobLocks: (...a: unknown[]) => Promise<string[]> } }
    ).worker;
    const real = worker.extendJobLocks.bind(worker);
    worker.extendJobLocks = (ids: unknown, tokens: unknown, ms: unknown) => {
      calls.push((ids as string[]).length);
      return real(ids, tokens, ms);
    };
    try {
      await consumer.start();
      const held: HeldJob[] = [];
      for (let i = 0; i < n; i++) {
        const h = await consumer.next("token-1", false);
        assert.ok(h, `job ${i} fetched`);
        held.push(h);
      }
      // one lock is lost (as after a long pause): its key is gone
      const lostId = held[3]?.job.id ?? "";
      await redis.del(`${prefix}:${QueueNames.events}:${lostId}:lock`);
      await new Promise((r) => setTimeout(r, 50));
      const lost = await consumer.extend(held);
      assert.deepEqual(calls, [EXTEND_CHUNK, EXTEND_CHUNK, 7]);
      assert.deepEqual(lost, [lostId]);
      const ttls = await Promise.all(
        held
          .filter((h) => h.job.id !== lostId)
          .map((h) => redis.pttl(`${prefix}:${QueueNames.events}:${h.job.id ?? ""}:lock`)),
      );
      assert.ok(
        ttls.every((t) => t > 4_000),
        `every other lock extended to ~5 s (min ${Math.min(...ttls)} ms)`,
      );
    } finally {
      await consumer.close();
      await queue.close();
    }
  });

  it("acknowledges a committed job whose lock lapsed, unless someone else holds it", async () => {
    const p2 = `${prefix}-ack`;
    const queue = new Queue(QueueNames.events, { connection: redisConnection, prefix: p2 });
    await queue.addBulk(Array.from({ length: 3 }, (_, i) => ({ name: "change", data: { i } })));
    const consumer = new EventConsumer({
      connection: redisConnection,
      prefix: p2,
      jobLockMs: 5_000,
      stalledIntervalMs: 60_000,
      instanceId: "ack-test",
      logger: silentLogger,
      redis,
    });
    try {
      await consumer.start();
      const held: HeldJob[] = [];
      for (let i = 0; i < 3; i++) {
        const h = await consumer.next("token-1", false);
        assert.ok(h);
        held.push(h);
      }
      const lockOf = (h: HeldJob | undefined): string => `${p2}:${QueueNames.events}:${h?.job.id ?? ""}:lock`;
      await redis.del(lockOf(held[0])); // lapsed, nobody took it
      await redis.set(lockOf(held[1]), "someone-else", "PX", 5000); // lapsed and taken by another
      assert.equal(await consumer.ack(held), 1, "only the job another holder has stays");
      assert.equal(await redis.llen(`${p2}:${QueueNames.events}:active`), 1);
      assert.deepEqual(await redis.lrange(`${p2}:${QueueNames.events}:active`, 0, -1), [held[1]?.job.id]);
    } finally {
      await consumer.close();
      await queue.close();
      await dropPrefix(p2);
    }
  });

  it("reads the lowest queue order a job can still arrive with, from the wait and active lists", async () => {
    const p3 = `${prefix}-low`;
    const queue = new Queue(QueueNames.events, { connection: redisConnection, prefix: p3 });
    const consumer = new EventConsumer({
      connection: redisConnection,
      prefix: p3,
      jobLockMs: 5_000,
      stalledIntervalMs: 60_000,
      instanceId: "low-test",
      logger: silentLogger,
      redis,
    });
    try {
      await consumer.start();
      assert.equal(await consumer.lowestQueuedSeq(), Number.POSITIVE_INFINITY, "an empty queue");
      await queue.addBulk(Array.from({ length: 4 }, (_, i) => ({ name: "change", data: { i } })));
      assert.equal(await consumer.lowestQueuedSeq(), 1, "the job next in the wait list");
      const first = await consumer.next("t", false);
      const second = await consumer.next("t", false);
      assert.deepEqual([first?.seq, second?.seq], [1, 2]);
      assert.equal(await consumer.lowestQueuedSeq(), 1, "the oldest held job");
      assert.equal(await consumer.ack(second ? [second] : []), 0);
      assert.equal(await consumer.lowestQueuedSeq(), 1, "still held, though a newer one was acknowledged");
      assert.equal(await consumer.ack(first ? [first] : []), 0);
      assert.equal(await consumer.lowestQueuedSeq(), 3, "back to the wait list");
      const rest = [await consumer.next("t", false), await consumer.next("t", false)];
      assert.equal(await consumer.ack(rest.filter((h): h is HeldJob => h !== undefined)), 0);
      assert.equal(await consumer.lowestQueuedSeq(), Number.POSITIVE_INFINITY, "all acknowledged");
      await queue.add("change", { i: "named" }, { jobId: "not-a-number" });
      assert.equal(await consumer.lowestQueuedSeq(), undefined, "ids that are not BullMQ's counter");
    } finally {
      await consumer.close();
      await queue.close();
      await dropPrefix(p3);
    }
  });
});
