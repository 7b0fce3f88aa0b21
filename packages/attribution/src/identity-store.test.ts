// Promise: the identity store keeps only IdentityRecord fields in Redis, per object, bounded in time
// and count, and `lookup` finds the request that made a change: by exact resourceVersion first, else
// the latest compatible request in the time window, deletions and deletecollection included, and
// nothing otherwise. Against the real Redis at 127.0.0.1:6379, a unique key prefix per test.
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { Redis } from "ioredis";
import { FakeClock } from "@shiplog/core/testing";
import { IdentityStoreError } from "./errors/identity-store-error.js";
import { IdentityStore } from "./identity-store.js";
import type { IdentityStoreOptions, ObjectRef } from "./identity-store.js";
import type { IdentityRecord } from "./record.js";
import { testRedis } from "./testkit/redis.test.helper.js";

// Every store runs on a FakeClock at T0, so trimming by age never depends on the day the test runs.
const T0 = Date.parse("2026-12-02T10:00:00.000Z");
const web: ObjectRef = { apiGroup: "apps", resource: "deployments", namespace: "shop", name: "web" };

let n = 0;
function rec(over: Partial<IdentityRecord> & { atMs?: number } = {}): IdentityRecord {
  const { atMs, ...rest } = over;
  n++;
  return {
    source: "audit",
    username: "alice",
    groups: ["dev"],
    verb: "update",
    ...web,
    subresource: "",
    at: new Date(atMs ?? T0).toISOString(),
    requestId: `req-${n}`,
    ...rest,
  };
}

/** A store on the test Redis under its prefix, at T0 unless `opts` says otherwise. */
function storeOn(
  t: { redis: Redis; prefix: string },
  opts: Partial<IdentityStoreOptions> = {},
): IdentityStore {
  return new IdentityStore({ redis: t.redis, prefix: t.prefix, clock: new FakeClock(T0), ...opts });
}

describe("IdentityStore", () => {
  it("stores the record's fields only, under the object's key, scored by time, with an expiry", async () => {
    await using t = await testRedis();
    const store = storeOn(t, { ttlMs: 60_000 });
    const r = { ...rec({ resourceVersion: "10", userAgent: "kubectl" }), requestObject: { data: "x" } };
    await store.add([r]);
    const key = `${t.prefix}:attribution:apps/deployments/shop/web`;
    assert.deepEqual((await t.keys()).sort(), [key, `${t.prefix}:attribution:last:audit`]);
    // `shiplog doctor` reads when each source last delivered.
    const last = await store.lastSeen();
    assert.equal(last.admission, undefined);
    assert.ok(last.audit !== undefined && last.audit > 0);
    const members = await t.redis.zrange(key, 0, -1, "WITHSCORES");
    assert.equal(members.length, 2);
    assert.equal(Number(members[1]), T0);
    const stored = JSON.parse(members[0] ?? "") as Record<string, unknown>;
    assert.equal(stored["requestObject"], undefined, "a body was stored");
    assert.deepEqual(Object.keys(stored).sort(), [
      "apiGroup", "at", "groups", "name", "namespace", "requestId", "resource", "resourceVersion", "source",
      "subresource", "userAgent", "username", "verb",
    ]); // prettier-ignore
    const ttl = await t.redis.pttl(key);
    assert.ok(ttl > 0 && ttl <= 60_000, `pttl ${ttl}`);
  });

  it("refreshes the expiry on every write, and stores a retried record once", async () => {
    await using t = await testRedis();
    const store = storeOn(t, { ttlMs: 60_000 });
    const r = rec();
    await store.add([r]);
    const key = store.keyOf(web);
    await t.redis.pexpire(key, 1000);
    await store.add([r]);
    assert.ok((await t.redis.pttl(key)) > 1000, "expiry not refreshed");
    assert.equal(await t.redis.zcard(key), 1);
  });

  it("trims records older than the expiry and beyond maxPerObject", async () => {
    await using t = await testRedis();
    const clock = new FakeClock(T0);
    const store = storeOn(t, { ttlMs: 10_000, maxPerObject: 3, clock });
    await store.add([rec({ atMs: T0 - 20_000, requestId: "stale" })]);
    await store.add([1, 2, 3, 4, 5].map((i) => rec({ atMs: T0 + i, requestId: `r${i}` })));
    const ids = (await t.redis.zrange(store.keyOf(web), 0, -1)).map(
      (m) => (JSON.parse(m) as IdentityRecord).requestId,
    );
    assert.deepEqual(ids, ["r3", "r4", "r5"]);
  });

  it("matches an exact resourceVersion before a later request in the window", async () => {
    await using t = await testRedis();
    const store = storeOn(t);
    await store.add([
      rec({ username: "alice", resourceVersion: "100", atMs: T0 }),
      rec({ username: "bob", atMs: T0 + 500 }),
    ]);
    const m = await store.lookup(web, { op: "update", resourceVersion: "100", observedAt: T0 + 600 }, 5000);
    assert.equal(m?.matchedBy, "resourceVersion");
    assert.equal(m?.record.username, "alice");
  });

  it("never credits a settled change's identity to a later change of the object", async () => {
    await using t = await testRedis();
    const store = storeOn(t);
    const alice = rec({ username: "alice", verb: "patch", atMs: T0 });
    await store.add([alice]);
    const first = { op: "update" as const, resourceVersion: "10", observedAt: T0 + 50 };
    const m1 = await store.lookup(web, first, 30_000);
    assert.equal(m1?.record.username, "alice");
    await store.settle(web, first, m1?.record);
    // bob's scale 15 s later, whose own identity never arrives (receiver down): not alice's.
    const second = { op: "update" as const, resourceVersion: "11", observedAt: T0 + 15_000 };
    assert.equal(await store.lookup(web, second, 30_000), undefined);
    await store.settle(web, second);
    // Deciding the first change again (a committer restarted mid-window) gives the same answer.
    assert.equal((await store.lookup(web, first, 30_000))?.record.username, "alice");
    // An audit record timed after the watcher saw its change is claimed by that change, not reused.
    const late = rec({ username: "carol", verb: "patch", atMs: T0 + 20_050 });
    await store.add([late]);
    const third = { op: "update" as const, resourceVersion: "12", observedAt: T0 + 20_000 };
    const m3 = await store.lookup(web, third, 30_000);
    assert.equal(m3?.record.username, "carol");
    await store.settle(web, third, m3?.record);
    assert.equal(
      await store.lookup(web, { op: "update", resourceVersion: "13", observedAt: T0 + 21_000 }, 30_000),
      undefined,
    );
    // The next writer's record still matches.
    await store.add([rec({ username: "dave", verb: "patch", atMs: T0 + 21_900 })]);
    const m4 = await store.lookup(
      web,
      { op: "update", resourceVersion: "14", observedAt: T0 + 22_000 },
      30_000,
    );
    assert.equal(m4?.record.username, "dave");
  });

  it("by time: the latest compatible request within [observedAt - window, observedAt + skew]", async () => {
    await using t = await testRedis();
    const store = storeOn(t, { skewMs: 1000 });
    await store.add([
      rec({ username: "early", verb: "patch", atMs: T0 - 10_000 }),
      rec({ username: "alice", verb: "patch", atMs: T0 - 2000 }),
      rec({ username: "scaler", verb: "update", subresource: "scale", atMs: T0 - 1000 }),
      rec({ username: "creator", verb: "create", atMs: T0 - 500 }),
      rec({ username: "future", verb: "update", atMs: T0 + 5000 }),
    ]);
    const update = await store.lookup(web, { op: "update", observedAt: T0 }, 5000);
    assert.deepEqual([update?.matchedBy, update?.record.username], ["time", "scaler"]);
    const create = await store.lookup(web, { op: "create", observedAt: T0 }, 5000);
    assert.equal(create?.record.username, "creator");
    assert.equal(await store.lookup(web, { op: "delete", observedAt: T0 }, 5000), undefined);
    assert.equal(await store.lookup(web, { op: "update", observedAt: T0 - 20_000 }, 5000), undefined);
    const other = await store.lookup({ ...web, name: "api" }, { op: "update", observedAt: T0 }, 5000);
    assert.equal(other, undefined, "a record of another object matched");
  });

  it("by time, leaves out records that name another resourceVersion than the change's", async () => {
    await using t = await testRedis();
    const store = storeOn(t);
    await store.add([
      rec({ username: "alice", atMs: T0 - 1000 }),
      rec({ username: "bob", resourceVersion: "200", atMs: T0 - 100 }),
    ]);
    const m = await store.lookup(web, { op: "update", resourceVersion: "300", observedAt: T0 }, 5000);
    assert.deepEqual([m?.matchedBy, m?.record.username], ["time", "alice"]);
  });

  it("matches a delete to a delete of the object, or a deletecollection in its namespace", async () => {
    await using t = await testRedis();
    const store = storeOn(t);
    await store.add([
      rec({ username: "cleaner", verb: "deletecollection", name: "", atMs: T0 - 300 }),
      rec({ username: "elsewhere", verb: "deletecollection", name: "", namespace: "other", atMs: T0 - 100 }),
    ]);
    const m = await store.lookup(web, { op: "delete", observedAt: T0 }, 5000);
    assert.deepEqual([m?.matchedBy, m?.record.username], ["time", "cleaner"]);
    assert.equal(await store.lookup(web, { op: "update", observedAt: T0 }, 5000), undefined);
    await store.add([rec({ username: "alice", verb: "delete", atMs: T0 - 200 })]);
    assert.equal((await store.lookup(web, { op: "delete", observedAt: T0 }, 5000))?.record.username, "alice");
  });

  it("by resourceVersion, any verb: a delete of an object with finalizers is first seen as an update", async () => {
    await using t = await testRedis();
    const store = storeOn(t);
    await store.add([rec({ username: "alice", verb: "delete", resourceVersion: "555", atMs: T0 })]);
    const m = await store.lookup(web, { op: "update", resourceVersion: "555", observedAt: T0 + 100 }, 5000);
    assert.deepEqual([m?.matchedBy, m?.record.username], ["resourceVersion", "alice"]);
  });

  it("matches a create with a generated name by resourceVersion only", async () => {
    await using t = await testRedis();
    const store = storeOn(t);
    await store.add([rec({ username: "alice", verb: "create", name: "", resourceVersion: "42", atMs: T0 })]);
    const pod = { ...web, name: "web-x7k2p" };
    const byRv = await store.lookup(pod, { op: "create", resourceVersion: "42", observedAt: T0 }, 5000);
    assert.deepEqual([byRv?.matchedBy, byRv?.record.username], ["resourceVersion", "alice"]);
    assert.equal(
      await store.lookup(pod, { op: "create", resourceVersion: "43", observedAt: T0 }, 5000),
      undefined,
    );
  });

  it("skips an unreadable member and says so", async () => {
    await using t = await testRedis();
    const warnings: object[] = [];
    const logger = { info() {}, debug() {}, error() {}, warn: (o: object) => void warnings.push(o) };
    const store = storeOn(t, { logger });
    await t.redis.zadd(store.keyOf(web), T0, "{not json", T0 + 1, JSON.stringify({ source: "x" }));
    await store.add([rec({ username: "alice", atMs: T0 - 1 })]);
    assert.equal((await store.lookup(web, { op: "update", observedAt: T0 }, 5000))?.record.username, "alice");
    assert.equal(warnings.length, 2);
  });

  it("throws IdentityStoreError when Redis is unreachable", async () => {
    const redis = new Redis({ host: "127.0.0.1", port: 1, lazyConnect: true, enableOfflineQueue: false });
    try {
      const store = new IdentityStore({ redis, prefix: "unreachable" });
      await assert.rejects(store.add([rec()]), IdentityStoreError);
      await assert.rejects(store.lookup(web, { op: "update", observedAt: T0 }, 1000), IdentityStoreError);
    } finally {
      redis.disconnect();
    }
  });

  it("checks its options", () => {
    const redis = new Redis({ lazyConnect: true });
    try {
      assert.throws(() => new IdentityStore({ redis, prefix: "" }), /attribution\.store\.prefix/);
      assert.throws(() => new IdentityStore({ redis, prefix: "p", ttlMs: 10 }), /attribution\.store\.ttlMs/);
    } finally {
      redis.disconnect();
    }
  });
});
