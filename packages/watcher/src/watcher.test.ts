// The watcher with a scripted API client, a fake clock and a real Redis (unique queue prefix): it
// starts one reflector per discovered type, and rediscovery (on a CRD change, or periodically) starts
// reflectors for types that appear and stops those whose type disappears.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { setImmediate as yieldToIo, setTimeout as sleep } from "node:timers/promises";
import type { KubeObject, ResourceType, TypesMessage, WatchMessage } from "@shiplog/core";
import { createCanonicalizer, defaultConfig, QueueNames, silentLogger } from "@shiplog/core";
import { FakeClock } from "@shiplog/core/testing";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { Registry } from "prom-client";
import { createWatcherMetrics } from "./metrics.js";
import { CRD_TYPE } from "./rediscovery.js";
import { FakeApiClient } from "./testing/fake-api-client.js";
import { metricValue } from "./testing/metric-value.js";
import { Watcher } from "./watcher.js";
import type { WatcherOptions } from "./options.js";
import { TestTypes } from "@shiplog/core/testing";
import { unreachableKubeConfig } from "./testing/kube-config.js";

const connection = { host: "127.0.0.1", port: 6379 };
const prefix = `t-watcher-${randomBytes(4).toString("hex")}`;
after(async () => {
  const q = new Queue(QueueNames.events, { connection, prefix });
  await q.obliterate({ force: true });
  await q.close();
});

const CM: ResourceType = TestTypes.configmaps;
const widgets: ResourceType = TestTypes.widgets;
const gadgets: ResourceType = { ...widgets, resource: "gadgets", kind: "Gadget" };

function crd(t: ResourceType): KubeObject {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${t.resource}.${t.group}`, resourceVersion: "100" },
    spec: { group: t.group, names: { plural: t.resource, kind: t.kind } },
    status: { conditions: [{ type: "Established", status: "True" }] },
  };
}

/** The types messages the watcher queued so far, oldest first. */
async function typesMessages(q: Queue<WatchMessage>): Promise<TypesMessage[]> {
  const jobs = await q.getJobs(["waiting", "delayed", "prioritized"]);
  return jobs
    .sort((a, b) => Number(a.id) - Number(b.id))
    .map((j) => j.data)
    .filter((m): m is TypesMessage => m.kind === "types");
}

/** Lets the pipeline (fake clock, real Redis round trips) settle until `cond` holds. */
/** Stops `w`, moving the fake clock on until stop() settles (its flush waits on the clock). */
async function stopUnder(clock: FakeClock, w: Watcher): Promise<void> {
  const stopped = w.stop();
  let done = false;
  const settled = (): void => {
    done = true;
  };
  stopped.then(settled, settled);
  // Not `until`: its ticks never move the time, and a flush still waiting for Redis's answer sleeps on
  // the clock (about 1 run in 6 left stop() pending forever, and the test process with it).
  for (let i = 0; i < 500 && !done; i++) {
    await clock.advance(50);
    await yieldToIo();
  }
  assert.ok(done, "timed out waiting for stop()");
  await stopped;
}

/** What every watcher here shares: the fake apiserver and clock, this suite's Redis, default config. */
function watcherOptions(apiClient: FakeApiClient, clock: FakeClock, queuePrefix: string): WatcherOptions {
  const cfg = defaultConfig();
  return {
    kubeConfig: unreachableKubeConfig(),
    apiClient,
    queue: { connection, prefix: queuePrefix },
    canonicalizer: createCanonicalizer({
      normalize: cfg.normalize,
      secrets: cfg.secrets,
      hmacKey: "watcher-test-fingerprint-key-0123",
      watch: cfg.watch,
    }),
    logger: silentLogger,
    clock,
    random: () => 0,
    rediscoverIntervalMs: 60_000,
  };
}

async function until(clock: FakeClock, cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) {
    await clock.tick();
    await yieldToIo();
  }
  assert.ok(cond(), `timed out waiting for ${what}`);
}

describe("Watcher", () => {
  it("starts, adds and removes reflectors as types appear and disappear", async () => {
    const clock = new FakeClock();
    const client = new FakeApiClient(clock);
    client.served = [CM, widgets];
    const metrics = createWatcherMetrics(new Registry());
    const w = new Watcher({ ...watcherOptions(client, clock, prefix), metrics });
    const types = (): string[] => w.status().types.map((t) => t.type);
    try {
      await w.start();
      await w.initialSyncDone();
      assert.deepEqual(types(), ["configmaps", "widgets.example.com"]);

      // A CRD appears: its watch event triggers a rediscovery (debounced by 100 ms).
      client.served = [CM, widgets, gadgets];
      await until(clock, () => client.lastWatch(CRD_TYPE) !== undefined, "the CRD watch");
      client.lastWatch(CRD_TYPE)?.emit("ADDED", crd(gadgets));
      await clock.advance(100);
      await until(clock, () => types().includes("gadgets.example.com"), "the gadgets reflector");
      assert.deepEqual(types(), ["configmaps", "gadgets.example.com", "widgets.example.com"]);
      await until(clock, () => w.status().types.every((t) => t.synced), "gadgets listed");

      // A type goes away without a CRD event: the periodic rediscovery notices it.
      client.served = [CM, gadgets];
      await clock.advance(60_000 + 100);
      await until(clock, () => !types().includes("widgets.example.com"), "widgets stopped");
      assert.deepEqual(types(), ["configmaps", "gadgets.example.com"]);
      assert.equal(await metricValue(metrics.objects, { type: "widgets.example.com" }), 0);
      const widgetWatches = client.callsOf("watch", widgets).length;
      await clock.advance(10_000);
      assert.equal(client.callsOf("watch", widgets).length, widgetWatches, "its loop ended");
    } finally {
      await stopUnder(clock, w);
    }
  });

  it("reports the recorded and excluded types after each discovery, and nothing unsafe on a partial one", async () => {
    const clock = new FakeClock();
    const client = new FakeApiClient(clock);
    client.served = [CM, widgets, gadgets];
    const ownPrefix = `${prefix}-types`;
    const q = new Queue<WatchMessage>(QueueNames.events, { connection, prefix: ownPrefix });
    const w = new Watcher({
      ...watcherOptions(client, clock, ownPrefix),
      exclude: { resources: ["gadgets.example.com"] },
    });
    let seen: TypesMessage[] = [];
    const settle = async (n: number, what: string): Promise<void> => {
      for (let i = 0; i < 50 && seen.length < n; i++) {
        await until(clock, () => w.status().buffered === 0, "the queue");
        seen = await typesMessages(q);
      }
      assert.equal(seen.length, n, what);
    };
    try {
      await w.start();
      await w.initialSyncDone();
      await settle(1, "one types message after the initial discovery");
      assert.deepEqual(seen[0]?.recorded, ["configmaps", "widgets.example.com"]);
      assert.deepEqual(seen[0]?.excluded, ["gadgets.example.com"]);
      assert.deepEqual(seen[0]?.unavailableGroups, []);

      // example.com goes stale: its types are missing, and the message says their files must stay.
      client.stale = new Set(["example.com/v1"]);
      await clock.advance(60_000 + 100);
      await settle(2, "a types message after the periodic rediscovery");
      assert.deepEqual(seen[1]?.recorded, ["configmaps"]);
      assert.deepEqual(seen[1]?.unavailableGroups, ["example.com"]);

      // A failed discovery sends nothing.
      client.discoveryError = new Error("apiserver down");
      await clock.advance(60_000 + 100);
      await settle(2, "no types message after a failed discovery");
    } finally {
      try {
        await stopUnder(clock, w);
      } finally {
        // closed even when stop() did not finish, so that a failure cannot leave the process hanging
        await q.obliterate({ force: true });
        await q.close();
      }
    }
  });

  it("resumes each type from the resourceVersion queued before a restart, under the same scope only", async () => {
    const ownPrefix = `${prefix}-resume`;
    const redis = new Redis(connection);
    const q = new Queue<WatchMessage>(QueueNames.events, { connection, prefix: ownPrefix });
    const start = async (
      scope: string,
      ignoreStored = false,
    ): Promise<{ w: Watcher; client: FakeApiClient; clock: FakeClock }> => {
      const clock = new FakeClock();
      const client = new FakeApiClient(clock);
      client.served = [CM];
      client.onList(CM, {
        items: [
          {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "a", namespace: "ns", uid: "u-a", resourceVersion: "9" },
            data: { v: "0" },
          },
        ],
        resourceVersion: "10",
      });
      const w = new Watcher({
        ...watcherOptions(client, clock, ownPrefix),
        resume: { scope, ...(ignoreStored ? { ignoreStored } : {}) },
      });
      await w.start();
      await w.initialSyncDone();
      // stopUnder only ticks the fake clock: let the types message reach Redis first
      for (let i = 0; i < 200 && w.status().buffered > 0; i++) {
        await clock.tick();
        await sleep(10);
      }
      assert.equal(w.status().buffered, 0, "the types message reached Redis");
      return { w, client, clock };
    };
    const stored = async (): Promise<string | undefined> =>
      (await redis.hget(`${ownPrefix}:shiplog-watch-resume`, "configmaps")) ?? undefined;
    try {
      const first = await start("scope-1");
      assert.equal(first.client.callsOf("list", CM).length, 1, "a first start lists");
      await until(first.clock, () => first.client.lastWatch(CM) !== undefined, "the watch");
      first.client.lastWatch(CM)?.emit("MODIFIED", {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "a", namespace: "ns", uid: "u-a", resourceVersion: "11" },
        data: { v: "1" },
      });
      for (let i = 0; i < 200 && (await stored()) !== "11"; i++) {
        await first.clock.tick();
        await sleep(10);
      }
      assert.equal(await stored(), "11", "checkpointed once Redis acked the event's message");
      await stopUnder(first.clock, first.w);

      const again = await start("scope-1");
      try {
        assert.equal(again.client.callsOf("list", CM).length, 0, "resumed: no list");
        assert.equal(again.client.callsOf("watch", CM)[0]?.params?.resourceVersion, "11");
        assert.equal(again.w.status().types[0]?.resumed, true);
      } finally {
        await stopUnder(again.clock, again.w);
      }

      const other = await start("scope-2");
      try {
        assert.equal(other.client.callsOf("list", CM).length, 1, "another selection lists");
      } finally {
        await stopUnder(other.clock, other.w);
      }

      const fresh = await start("scope-2", true);
      try {
        assert.equal(fresh.client.callsOf("list", CM).length, 1, "ignoreStored lists");
      } finally {
        await stopUnder(fresh.clock, fresh.w);
      }
    } finally {
      await redis.del(`${ownPrefix}:shiplog-watch-resume`);
      redis.disconnect();
      await q.obliterate({ force: true });
      await q.close();
    }
  });
});
