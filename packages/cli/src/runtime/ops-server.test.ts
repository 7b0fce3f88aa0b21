import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createWatcherMetrics } from "@shiplog/watcher";
import { parseListen, startOpsServer } from "./ops-server.js";
import { createLogger } from "./process-logger.js";
import { ReadinessGate } from "./readiness.js";
import { createRegistry } from "./registry.js";

const logger = createLogger({ level: "silent" });

describe("ops server", () => {
  it("serves /healthz, /readyz by the gate, and the watcher's metrics on /metrics", async () => {
    const registry = createRegistry();
    const metrics = createWatcherMetrics(registry);
    metrics.events.inc({ type: "configmaps", op: "added" }, 3);
    metrics.buffered.set(7);
    metrics.queueAddLatency.observe({ type: "configmaps" }, 0.02);
    const gate = new ReadinessGate();
    gate.require("watcher", "first list not done");
    const server = await startOpsServer({ listen: "127.0.0.1:0", registry, readiness: gate, logger });
    try {
      const base = `http://${server.address}`;
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      const notReady = await fetch(`${base}/readyz`);
      assert.equal(notReady.status, 503);
      assert.match(await notReady.text(), /first list not done/);
      gate.done("watcher");
      assert.equal((await fetch(`${base}/readyz`)).status, 200);
      const text = await (await fetch(`${base}/metrics`)).text();
      assert.match(text, /^# TYPE shiplog_watcher_events_total counter$/m);
      assert.match(text, /^shiplog_watcher_events_total\{type="configmaps",op="added"\} 3$/m);
      assert.match(text, /^# TYPE shiplog_watcher_buffered_messages gauge$/m);
      assert.match(text, /^shiplog_watcher_buffered_messages 7$/m);
      assert.match(
        text,
        /^shiplog_watcher_queue_add_latency_seconds_bucket\{le="0.05",type="configmaps"\} 1$/m,
      );
      assert.match(
        text,
        /^shiplog_watcher_queue_add_latency_seconds_bucket\{le="0.01",type="configmaps"\} 0$/m,
      );
      assert.match(text, /^shiplog_watcher_queue_add_latency_seconds_count\{type="configmaps"\} 1$/m);
      assert.match(text, /^shiplog_process_cpu_user_seconds_total /m);
      assert.equal((await fetch(`${base}/nope`)).status, 404);
      server.markStopping();
      assert.equal((await fetch(`${base}/healthz`)).status, 503);
      assert.equal((await fetch(`${base}/readyz`)).status, 503);
    } finally {
      await server.close();
    }
  });

  it("answers /healthz and /readyz with 503 and the reason while a stage is stuck", async () => {
    const gate = new ReadinessGate();
    let stuck: string | undefined = "committer made no progress for 6 min with 40 events waiting";
    const server = await startOpsServer({
      listen: "127.0.0.1:0",
      registry: createRegistry(),
      readiness: gate,
      health: { unhealthyReason: () => stuck },
      logger,
    });
    try {
      const base = `http://${server.address}`;
      const health = await fetch(`${base}/healthz`);
      assert.equal(health.status, 503);
      assert.equal(
        await health.text(),
        "unhealthy: committer made no progress for 6 min with 40 events waiting\n",
      );
      const ready = await fetch(`${base}/readyz`);
      assert.equal(ready.status, 503);
      assert.match(await ready.text(), /^not ready: stuck: committer made no progress/);
      stuck = undefined;
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      assert.equal((await fetch(`${base}/readyz`)).status, 200);
    } finally {
      await server.close();
    }
  });

  it("parses listen addresses and rejects bad ones naming server.listen", () => {
    assert.deepEqual(parseListen("0.0.0.0:9090"), { host: "0.0.0.0", port: 9090 });
    assert.deepEqual(parseListen(":9090"), { host: "0.0.0.0", port: 9090 });
    assert.deepEqual(parseListen("[::1]:80"), { host: "::1", port: 80 });
    assert.throws(() => parseListen("nope"), /server\.listen/);
    assert.throws(() => parseListen("1.2.3.4:70000"), /server\.listen/);
  });
});
