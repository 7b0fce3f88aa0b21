// The reflector's loop with a scripted API client and a fake clock (as client-go's reflector_test.go):
// list then watch, relist on 410 (HTTP status and watch ERROR event), Retry-After, a watch that ends
// at once, bookmarks, forbidden types, a full buffer, and a race-free stop().
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ChangeMessage, KubeObject, ResourceType, SyncMessage, WatchMessage } from "@shiplog/core";
import type { WatchEvent } from "./api-client.js";
import { createCanonicalizer, defaultConfig, silentLogger } from "@shiplog/core";
import { FakeClock } from "@shiplog/core/testing";
import { Registry } from "prom-client";
import { ApiStatusError } from "./errors/api-status-error.js";
import { createWatcherMetrics } from "./metrics.js";
import { Reflector, ReflectorStates } from "./reflector.js";
import { FakeApiClient, FakeWatch, hangingList } from "./testing/fake-api-client.js";
import { FakeEnqueuer } from "./testing/fake-enqueuer.js";
import { metricValue } from "./testing/metric-value.js";
import { TypeFilter } from "./type-filter.js";
import { TestTypes } from "@shiplog/core/testing";

const CM: ResourceType = TestTypes.configmaps;

function cm(name: string, rv: string, data: Record<string, string> = { k: name }): KubeObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: "ns", uid: `uid-${name}`, resourceVersion: rv },
    data,
  };
}

const page = (rv: string, ...items: KubeObject[]): { items: KubeObject[]; resourceVersion: string } => ({
  items,
  resourceVersion: rv,
});

function setup(resumeFrom?: string, streamingList = false) {
  const clock = new FakeClock();
  const client = new FakeApiClient(clock);
  const enqueuer = new FakeEnqueuer();
  const metrics = createWatcherMetrics(new Registry());
  const cfg = defaultConfig();
  const canonicalizer = createCanonicalizer({
    normalize: cfg.normalize,
    secrets: cfg.secrets,
    hmacKey: "reflector-test-fingerprint-key-0123",
    watch: cfg.watch,
  });
  const reflector = new Reflector(CM, {
    client,
    canonicalizer,
    enqueuer,
    filter: new TypeFilter(),
    logger: silentLogger,
    metrics,
    clock,
    random: () => 0,
    pageSize: 500,
    minWatchTimeoutSeconds: 300,
    ...(resumeFrom !== undefined ? { resumeFrom } : {}),
    streamingList,
  });
  return { clock, client, enqueuer, metrics, reflector };
}

const isSync = (m: WatchMessage): m is SyncMessage => m.kind === "sync";
const isChange = (m: WatchMessage): m is ChangeMessage => m.kind === "change";
const changes = (ms: readonly WatchMessage[]): string[] =>
  ms.filter(isChange).map((m) => `${m.op} ${m.key.name}`);

describe("Reflector", () => {
  it("lists, sends one sync message, then watches from the list's resourceVersion", async () => {
    const { clock, client, enqueuer, reflector } = setup();
    client.onList(CM, page("10", cm("a", "8"), cm("b", "9")));
    reflector.start();
    await clock.tick();
    await reflector.firstSync;
    assert.deepEqual(changes(enqueuer.messages), ["listed a", "listed b"]);
    const sync = enqueuer.messages.filter(isSync);
    assert.equal(sync.length, 1);
    assert.deepEqual(sync[0]?.paths, ["ns/configmaps/a.yaml", "ns/configmaps/b.yaml"]);
    assert.equal(sync[0]?.resourceVersion, "10");
    assert.deepEqual(client.callsOf("watch", CM)[0]?.params, {
      resourceVersion: "10",
      timeoutSeconds: 300,
      allowWatchBookmarks: true,
    });
    assert.equal(reflector.status().state, ReflectorStates.watching);
    assert.equal(reflector.status().synced, true);
    await reflector.stop();
  });

  it("splits a large key set into sync messages of bounded size that cover it in order", async () => {
    const { clock, client, enqueuer, reflector } = setup();
    const names = Array.from({ length: 3000 }, (_, i) => `cm-${String(i).padStart(5, "0")}`);
    client.onList(CM, page("10", ...names.map((n, i) => cm(n, String(i + 1)))));
    reflector.start();
    await clock.tick();
    await reflector.firstSync;
    const syncs = enqueuer.messages.filter(isSync);
    // 3,000 paths of ~26 bytes are ~87 KB: more than one 64 KiB part, each within the bound
    assert.ok(syncs.length >= 2, `${syncs.length} sync messages`);
    for (const s of syncs) assert.ok(JSON.stringify(s.paths).length <= 64 * 1024 + 64);
    assert.deepEqual(
      syncs.flatMap((s) => [...s.paths]),
      names.map((n) => `ns/configmaps/${n}.yaml`),
    );
    assert.equal(syncs[0]?.range?.from, undefined);
    assert.equal(syncs.at(-1)?.range?.to, undefined);
    // the sync parts come last, after every listed object
    const last = enqueuer.messages.slice(-syncs.length);
    assert.ok(last.every(isSync));
    await reflector.stop();
  });

  it("relists at once when the watch request answers 410 Gone, reporting what vanished", async () => {
    const { clock, client, enqueuer, metrics, reflector } = setup();
    client
      .onList(CM, page("10", cm("a", "8"), cm("b", "9")), page("20", cm("a", "8")))
      .onWatch(CM, new ApiStatusError(410, "Expired", "watch configmaps: 410 Expired: too old"));
    reflector.start();
    await clock.tick();
    const lists = client.callsOf("list", CM);
    assert.equal(lists.length, 2, "relisted");
    assert.equal(lists[1]?.at, lists[0]?.at, "without backoff");
    assert.deepEqual(changes(enqueuer.messages), ["listed a", "listed b", "deleted b"]);
    assert.deepEqual(enqueuer.messages.filter(isSync).at(-1)?.paths, ["ns/configmaps/a.yaml"]);
    assert.equal(client.callsOf("watch", CM).at(-1)?.params?.resourceVersion, "20");
    assert.equal(await metricValue(metrics.relists, { type: "configmaps", reason: "expired" }), 1);
    assert.equal(await metricValue(metrics.errors, { type: "configmaps", kind: "expired" }), 1);
    await reflector.stop();
  });

  it("relists at once on a watch ERROR event carrying a 410 Status", async () => {
    const { clock, client, metrics, reflector } = setup();
    client.onList(CM, page("10", cm("a", "8")), page("30", cm("a", "8"))).onWatch(CM, [
      {
        type: "ERROR",
        object: { kind: "Status", apiVersion: "v1", code: 410, reason: "Expired", message: "too old" },
      },
    ]);
    reflector.start();
    await clock.tick();
    assert.equal(client.callsOf("list", CM).length, 2);
    assert.equal(client.callsOf("watch", CM).at(-1)?.params?.resourceVersion, "30");
    assert.equal(await metricValue(metrics.relists, { reason: "expired" }), 1);
    await reflector.stop();
  });

  it("waits at least Retry-After after a 429 before it tries again", async () => {
    const { clock, client, metrics, reflector } = setup();
    client.onList(CM, page("10")).onWatch(CM, new ApiStatusError(429, "TooManyRequests", "slow down", 5000));
    reflector.start();
    await clock.tick();
    assert.equal(client.callsOf("watch", CM).length, 1);
    assert.equal(reflector.status().state, ReflectorStates.backoff);
    await clock.advance(4999); // the backoff alone would be 800 ms
    assert.equal(client.callsOf("watch", CM).length, 1, "not before Retry-After");
    await clock.advance(1);
    const watches = client.callsOf("watch", CM);
    assert.equal(watches.length, 2);
    assert.equal(watches[1]?.params?.resourceVersion, "10", "resumes the watch, no relist");
    assert.equal(client.callsOf("list", CM).length, 1);
    assert.equal(await metricValue(metrics.errors, { kind: "throttled" }), 1);
    await reflector.stop();
  });

  it("backs off, growing, when the server closes each watch at once with nothing in it", async () => {
    const { clock, client, metrics, reflector } = setup();
    client.onList(CM, page("10")).onWatch(CM, [], [], []);
    reflector.start();
    await clock.tick();
    const watches = (): number => client.callsOf("watch", CM).length;
    assert.equal(watches(), 1, "no hot loop");
    await clock.advance(799);
    assert.equal(watches(), 1);
    await clock.advance(1);
    assert.equal(watches(), 2, "after 800 ms");
    await clock.advance(1599);
    assert.equal(watches(), 2);
    await clock.advance(1);
    assert.equal(watches(), 3, "after 1600 ms more");
    assert.equal(await metricValue(metrics.errors, { kind: "transport" }), 3, "each short watch counted");
    assert.equal(client.callsOf("list", CM).length, 1, "a closed watch resumes, it does not relist");
    await reflector.stop();
  });

  it("advances the resourceVersion on bookmarks without sending anything", async () => {
    const { clock, client, enqueuer, metrics, reflector } = setup();
    const w = new FakeWatch();
    client.onList(CM, page("10", cm("a", "8"))).onWatch(CM, w);
    reflector.start();
    await clock.tick();
    const before = enqueuer.messages.length;
    w.emit("BOOKMARK", { kind: "ConfigMap", apiVersion: "v1", metadata: { resourceVersion: "42" } });
    await clock.tick();
    assert.equal(reflector.status().resourceVersion, "42");
    w.end();
    await clock.tick();
    assert.equal(enqueuer.messages.length, before, "a bookmark is not a change");
    assert.equal(client.callsOf("watch", CM).at(-1)?.params?.resourceVersion, "42");
    assert.equal(await metricValue(metrics.events, { op: "bookmark" }), 1);
    await reflector.stop();
  });

  it("sends watch changes and skips unchanged content", async () => {
    const { clock, client, enqueuer, metrics, reflector } = setup();
    const w = new FakeWatch();
    client.onList(CM, page("10", cm("a", "8"))).onWatch(CM, w);
    reflector.start();
    await clock.tick();
    w.emit("MODIFIED", cm("a", "11")); // same content, new resourceVersion
    w.emit("MODIFIED", cm("a", "12", { k: "changed" }));
    w.emit("ADDED", cm("c", "13"));
    w.emit("DELETED", cm("a", "14"));
    await clock.tick();
    assert.deepEqual(changes(enqueuer.messages), ["listed a", "modified a", "added c", "deleted a"]);
    assert.equal(await metricValue(metrics.unchanged), 1);
    assert.equal(reflector.status().resourceVersion, "14");
    assert.equal(await metricValue(metrics.objects, { type: "configmaps" }), 1);
    await reflector.stop();
  });

  it("treats a forbidden type as synced, backs off and relists", async () => {
    const { clock, client, metrics, reflector } = setup();
    client.onList(CM, new ApiStatusError(403, "Forbidden", "configmaps is forbidden"), page("10"));
    reflector.start();
    await reflector.firstSync;
    assert.equal(reflector.status().state, ReflectorStates.forbidden);
    assert.equal(reflector.status().synced, false);
    await clock.advance(800);
    assert.equal(client.callsOf("list", CM).length, 2);
    assert.equal(await metricValue(metrics.relists, { reason: "forbidden" }), 1);
    assert.equal(reflector.status().synced, true);
    await reflector.stop();
  });

  it("stops reading when the buffer is full and relists once it drains", async () => {
    const { clock, client, enqueuer, metrics, reflector } = setup();
    const w = new FakeWatch();
    client.onList(CM, page("10"), page("20")).onWatch(CM, w);
    reflector.start();
    await clock.tick();
    enqueuer.fill();
    w.emit("ADDED", cm("a", "11"));
    await clock.tick();
    assert.equal(reflector.status().state, ReflectorStates.waitingForQueue);
    assert.equal(client.callsOf("list", CM).length, 1);
    enqueuer.drain();
    await clock.tick();
    assert.equal(client.callsOf("list", CM).length, 2);
    assert.equal(await metricValue(metrics.relists, { reason: "queue-full" }), 1);
    assert.equal(await metricValue(metrics.errors), 0, "a full buffer is not an error");
    await reflector.stop();
  });

  it("relists from scratch when a list continue token expires", async () => {
    const { clock, client, enqueuer, reflector } = setup();
    client.onList(
      CM,
      { items: [cm("a", "8")], resourceVersion: "10", continueToken: "t1" },
      new ApiStatusError(410, "Expired", "continue token expired"),
      page("15", cm("a", "8"), cm("b", "9")),
    );
    reflector.start();
    await clock.tick();
    const lists = client.callsOf("list", CM);
    assert.equal(lists.length, 3);
    assert.equal((lists[1]?.params as { continueToken?: string }).continueToken, "t1");
    assert.equal((lists[2]?.params as { continueToken?: string }).continueToken, undefined);
    assert.deepEqual(enqueuer.messages.filter(isSync).at(-1)?.paths, [
      "ns/configmaps/a.yaml",
      "ns/configmaps/b.yaml",
    ]);
    await reflector.stop();
  });

  for (const phase of ["listing", "watching", "backing off"] as const) {
    it(`stop() while ${phase} ends the loop: nothing afterwards, nothing unhandled`, async () => {
      const { clock, client, enqueuer, metrics, reflector } = setup();
      if (phase === "listing") client.onList(CM, hangingList);
      else client.onList(CM, page("10", cm("a", "8")));
      if (phase === "backing off") client.onWatch(CM, new ApiStatusError(500, "InternalError", "boom"));
      const unhandled: unknown[] = [];
      const onUnhandled = (err: unknown): void => void unhandled.push(err);
      process.on("unhandledRejection", onUnhandled);
      try {
        reflector.start();
        await clock.tick();
        const expected = {
          listing: ReflectorStates.listing,
          watching: ReflectorStates.watching,
          "backing off": ReflectorStates.backoff,
        }[phase];
        assert.equal(reflector.status().state, expected);
        const calls = client.calls.length;
        await reflector.stop(); // no clock advance needed: the sleep ends on abort
        let late = 0;
        enqueuer.onPush = () => void late++;
        await reflector.firstSync;
        reflector.start(); // a stopped reflector does not start again
        await clock.advance(60_000);
        assert.equal(late, 0, "no message after stop() resolved");
        assert.equal(client.calls.length, calls, "no request after stop()");
        assert.equal(reflector.status().state, ReflectorStates.stopped);
        assert.equal(await metricValue(metrics.objects, { type: "configmaps" }), 0);
        await new Promise((r) => setImmediate(r));
        assert.deepEqual(unhandled, []);
      } finally {
        process.off("unhandledRejection", onUnhandled);
      }
    });
  }
});

describe("Reflector resuming from a stored resourceVersion (ADR 0038)", () => {
  it("skips the list, watches from the stored resourceVersion and is synced once the watch is answered", async () => {
    const { clock, client, enqueuer, metrics, reflector } = setup("42");
    const w = new FakeWatch();
    client.onWatch(CM, w);
    reflector.start();
    await clock.tick();
    await reflector.firstSync;
    assert.equal(client.callsOf("list", CM).length, 0, "no list");
    assert.equal(client.callsOf("watch", CM)[0]?.params?.resourceVersion, "42");
    assert.equal(reflector.status().synced, true);
    assert.equal(reflector.status().resumed, true);
    assert.equal(await metricValue(metrics.resumes, { type: "configmaps" }), 1);
    assert.equal(await metricValue(metrics.relists, { type: "configmaps" }), 0);

    // changes made while the watcher was down arrive as their own events, each with its own message
    w.emit("MODIFIED", cm("a", "43", { v: "1" }));
    w.emit("MODIFIED", cm("a", "44", { v: "2" }));
    w.emit("BOOKMARK", { metadata: { resourceVersion: "50" } });
    await clock.tick();
    assert.deepEqual(changes(enqueuer.messages), ["modified a", "modified a"]);
    assert.equal(enqueuer.messages.filter(isSync).length, 0, "no sync: nothing was listed");
    assert.deepEqual(
      enqueuer.checkpoints.map((c) => `${c.rv}@${c.after}`),
      ["43@1", "44@2", "50@2"],
      "a checkpoint after each event, once its message is pushed",
    );
    await reflector.stop();
  });

  it("sends a delete for an object it never heard of (it may have been recorded before the restart)", async () => {
    const { clock, client, enqueuer, reflector } = setup("42");
    const w = new FakeWatch();
    client.onWatch(CM, w);
    reflector.start();
    await clock.tick();
    w.emit("DELETED", cm("gone", "45"));
    await clock.tick();
    const del = enqueuer.messages.filter(isChange);
    assert.deepEqual(changes(del), ["deleted gone"]);
    assert.equal(del[0]?.path, "ns/configmaps/gone.yaml");
    assert.equal(del[0]?.resourceVersion, "45");
    await reflector.stop();
  });

  it("sends a delete once for an object it skips, then stays quiet about it", async () => {
    const { clock, client, enqueuer, reflector } = setup("42");
    const w = new FakeWatch();
    client.onWatch(CM, w);
    reflector.start();
    await clock.tick();
    const owned = (rv: string): KubeObject => ({
      ...cm("owned", rv),
      metadata: {
        ...cm("owned", rv).metadata,
        ownerReferences: [{ apiVersion: "v1", kind: "Foo", name: "x", uid: "u", controller: true }],
      },
    });
    w.emit("MODIFIED", owned("46"));
    w.emit("MODIFIED", owned("47"));
    await clock.tick();
    assert.deepEqual(changes(enqueuer.messages), ["deleted owned"]);
    await reflector.stop();
  });

  it("relists on 410 and marks that relist's messages as a gap", async () => {
    const { clock, client, enqueuer, metrics, reflector } = setup("42");
    client
      .onWatch(CM, new ApiStatusError(410, "Expired", "too old resource version: 42 (90)"))
      .onList(CM, page("90", cm("a", "88")));
    reflector.start();
    await clock.tick();
    await reflector.firstSync;
    assert.equal(client.callsOf("list", CM).length, 1);
    const listed = enqueuer.messages.filter(isChange);
    assert.deepEqual(changes(listed), ["listed a"]);
    assert.equal(listed[0]?.gap, "expired");
    assert.equal(enqueuer.messages.filter(isSync)[0]?.gap, "expired");
    assert.equal(reflector.status().resumed, false, "the store is complete again");
    assert.equal(await metricValue(metrics.relists, { type: "configmaps", reason: "expired" }), 1);
    assert.deepEqual(enqueuer.checkpoints.at(-1), { type: "configmaps", rv: "90", after: 2 });
    await reflector.stop();
  });

  it("marks no gap on a later 410 of a reflector that listed (live operation, as before)", async () => {
    const { clock, client, enqueuer, reflector } = setup();
    client
      .onList(CM, page("10", cm("a", "8")), page("20", cm("a", "9")))
      .onWatch(CM, new ApiStatusError(410, "Expired", "too old"));
    reflector.start();
    await clock.tick();
    assert.equal(client.callsOf("list", CM).length, 2);
    assert.ok(enqueuer.messages.every((m) => m.kind === "types" || m.gap === undefined));
    await reflector.stop();
  });
});

describe("Reflector streaming lists (WatchList, ADR 0043)", () => {
  it("lists by a watch with sendInitialEvents, finishes at the end bookmark, then watches from its resourceVersion", async () => {
    const { clock, client, enqueuer, metrics, reflector } = setup(undefined, true);
    client.streamingLists = true;
    client.onList(CM, page("10", cm("a", "8"), cm("b", "9")));
    reflector.start();
    await clock.tick();
    await reflector.firstSync;
    assert.equal(client.callsOf("list", CM).length, 0, "no paginated list");
    const watches = client.callsOf("watch", CM);
    assert.deepEqual(watches[0]?.params, {
      resourceVersion: "",
      resourceVersionMatch: "NotOlderThan",
      sendInitialEvents: true,
      timeoutSeconds: 300,
      allowWatchBookmarks: true,
    });
    assert.deepEqual(changes(enqueuer.messages), ["listed a", "listed b"]);
    const sync = enqueuer.messages.filter(isSync);
    assert.deepEqual(sync[0]?.paths, ["ns/configmaps/a.yaml", "ns/configmaps/b.yaml"]);
    assert.equal(sync[0]?.resourceVersion, "10");
    assert.deepEqual(enqueuer.checkpoints.at(-1)?.rv, "10");
    assert.equal(watches[1]?.params?.resourceVersion, "10", "then an ordinary watch from the list's RV");
    assert.equal(await metricValue(metrics.streamingLists, { type: "configmaps", outcome: "streamed" }), 1);
    await reflector.stop();
  });

  it("relists by streaming after a 410 and reports what vanished", async () => {
    const { clock, client, enqueuer, reflector } = setup(undefined, true);
    client.streamingLists = true;
    client
      .onList(CM, page("10", cm("a", "8"), cm("b", "9")), page("20", cm("a", "8")))
      .onWatch(CM, new ApiStatusError(410, "Expired", "too old"));
    reflector.start();
    await clock.tick();
    assert.deepEqual(changes(enqueuer.messages), ["listed a", "listed b", "deleted b"]);
    assert.deepEqual(enqueuer.messages.filter(isSync).at(-1)?.paths, ["ns/configmaps/a.yaml"]);
    assert.equal(client.callsOf("list", CM).length, 0);
    assert.equal(client.callsOf("watch", CM).at(-1)?.params?.resourceVersion, "20");
    await reflector.stop();
  });

  it("falls back to pages for good when the apiserver refuses sendInitialEvents (422)", async () => {
    const { clock, client, enqueuer, metrics, reflector } = setup(undefined, true);
    client
      .onList(CM, page("10", cm("a", "8")), page("20", cm("a", "8")))
      .onWatch(CM, new ApiStatusError(410, "Expired", "too old"));
    reflector.start();
    await clock.tick();
    await reflector.firstSync;
    assert.deepEqual(changes(enqueuer.messages), ["listed a"]);
    assert.equal(client.callsOf("list", CM).length, 2, "first list and the relist after 410, in pages");
    assert.equal(
      client
        .callsOf("watch", CM)
        .filter((c) => (c.params as { sendInitialEvents?: boolean }).sendInitialEvents).length,
      1,
      "streaming tried once",
    );
    assert.equal(await metricValue(metrics.streamingLists, { type: "configmaps", outcome: "fallback" }), 1);
    await reflector.stop();
  });

  it("retries a stream that ends before its bookmark, and falls back after the second", async () => {
    const { clock, client, enqueuer, metrics, reflector } = setup(undefined, true);
    // A server that ignores sendInitialEvents: synthetic ADDED events, then the stream just ends.
    const ignoring = (): WatchEvent[] => [{ type: "ADDED", object: cm("a", "8") }];
    client.onWatch(CM, ignoring(), ignoring()).onList(CM, page("10", cm("a", "8")));
    const streamingWatch = client.watch.bind(client);
    client.watch = (t, p, signal, onOpen) =>
      p.sendInitialEvents === true
        ? streamingWatch(t, { ...p, sendInitialEvents: false }, signal, onOpen)
        : streamingWatch(t, p, signal, onOpen);
    reflector.start();
    await clock.tick();
    assert.equal(reflector.status().state, ReflectorStates.backoff, "the first incomplete stream backs off");
    await clock.advance(5000);
    await reflector.firstSync;
    assert.equal(client.callsOf("list", CM).length, 1, "listed in pages after two incomplete streams");
    assert.deepEqual(changes(enqueuer.messages), ["listed a"], "the object is sent once");
    assert.equal(enqueuer.messages.filter(isSync).length, 1);
    assert.equal(await metricValue(metrics.errors, { type: "configmaps", kind: "transport" }), 1);
    assert.equal(await metricValue(metrics.streamingLists, { type: "configmaps", outcome: "fallback" }), 1);
    await reflector.stop();
  });
});
