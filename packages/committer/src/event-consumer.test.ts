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
});
