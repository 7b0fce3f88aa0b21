import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { QueueNames, redisConnectionOptions, silentLogger } from "@shiplog/core";
import { Queue, Worker } from "bullmq";
import { eventsProgress } from "./events-progress.js";

const connection = redisConnectionOptions("redis://127.0.0.1:6379");

describe("events queue progress (real Redis)", () => {
  it("is done up to a mark once the events enqueued by then are committed, however many came later", async () => {
    const prefix = `shiplog-test-cli-progress-${randomUUID().slice(0, 8)}`;
    const queue = new Queue(QueueNames.events, { connection, prefix });
    const worker = new Worker(QueueNames.events, null, { connection, prefix, autorun: false });
    const progress = eventsProgress(connection, prefix, silentLogger);
    try {
      assert.equal(await progress.watermark(), 0);
      assert.equal(await progress.doneUpTo(0), true);
      await queue.addBulk([1, 2, 3].map((n) => ({ name: "change", data: { n } })));
      const mark = await progress.watermark();
      assert.equal(mark, 3);
      assert.equal(await progress.doneUpTo(mark), false);
      const held = [];
      for (let i = 0; i < 3; i++) {
        const job = await worker.getNextJob("t");
        assert.ok(job);
        held.push(job);
      }
      await queue.addBulk([4, 5].map((n) => ({ name: "change", data: { n } })));
      assert.equal(await progress.doneUpTo(mark), false, "held in an open window is not committed");
      for (const job of held.slice(0, 2)) await job.moveToCompleted("ok", "t", false);
      assert.equal(await progress.doneUpTo(mark), false);
      await held[2]?.moveToCompleted("ok", "t", false);
      assert.equal(await progress.doneUpTo(mark), true);
      assert.equal(await progress.pending(), 2, "later events do not delay readiness");
    } finally {
      await progress.close();
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});
