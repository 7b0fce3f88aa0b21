// IdentityAttribution against the real identity store on the shared Redis: the user of the request
// that made a change is its author; an identity that arrives within the grace is waited for; without
// one (or with Redis failing) the field manager is credited once the grace is over, never later.
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { Author, ChangeMessage } from "@shiplog/core";
import { emailFor, IdentityAttribution } from "./identity-attribution.js";
import type { IdentityAttributionOptions } from "./identity-attribution.js";
import { IdentityStore } from "./identity-store.js";
import type { IdentityRecord } from "./record.js";
import { testRedis } from "./testkit/redis.test.helper.js";

const fieldManager = {
  authorFor: (c: ChangeMessage): Author => ({
    name: c.manager ?? "unknown",
    email: `${c.manager ?? "unknown"}@shiplog.local`,
    source: "field-manager",
  }),
};

function change(over: Partial<ChangeMessage> = {}): ChangeMessage {
  return {
    kind: "change",
    op: "modified",
    type: "deployments.apps",
    key: {
      group: "apps",
      version: "v1",
      resource: "deployments",
      kind: "Deployment",
      namespace: "shop",
      name: "web",
    },
    path: "shop/deployments.apps/web.yaml",
    resourceVersion: "500",
    observedAt: new Date().toISOString(),
    manager: "kubectl-edit",
    ...over,
  };
}

function record(over: Partial<IdentityRecord> = {}): IdentityRecord {
  return {
    source: "audit",
    username: "alice@example.com",
    groups: ["dev"],
    verb: "patch",
    apiGroup: "apps",
    resource: "deployments",
    subresource: "",
    namespace: "shop",
    name: "web",
    resourceVersion: "500",
    at: new Date().toISOString(),
    requestId: `req-${Math.random()}`,
    ...over,
  };
}

/** An IdentityAttribution over `store` with the field manager as fallback and a short poll. */
function attribution(
  store: IdentityAttributionOptions["store"],
  opts: Partial<IdentityAttributionOptions> = {},
): IdentityAttribution {
  return new IdentityAttribution({
    store,
    fallback: fieldManager,
    domain: "shiplog.local",
    pollMs: 20,
    ...opts,
  });
}

describe("IdentityAttribution", () => {
  it("credits the user of the request that made the change, by resourceVersion", async () => {
    await using t = await testRedis();
    const store = new IdentityStore({ redis: t.redis, prefix: t.prefix });
    await store.add([
      record({ userAgent: "kubectl/v1.36.3" }),
      record({ username: "bob", resourceVersion: "499" }),
    ]);
    const seen: string[] = [];
    const a = new IdentityAttribution({
      store,
      fallback: fieldManager,
      domain: "shiplog.local",
      onAttributed: (r) => seen.push(r.source),
    });
    assert.deepEqual(await a.authorFor(change()), {
      name: "alice@example.com",
      email: "alice@example.com",
      source: "audit",
      username: "alice@example.com",
      userAgent: "kubectl/v1.36.3",
      fieldManager: "kubectl-edit",
    });
    assert.deepEqual(seen, ["audit"]);
    // The deleter is not the deleted object's last field manager: no field manager on a delete.
    await store.add([record({ verb: "delete", resourceVersion: "501", source: "admission" })]);
    const deleted = await a.authorFor(change({ op: "deleted", resourceVersion: "501" }));
    assert.equal(deleted.source, "admission");
    assert.equal(deleted.fieldManager, undefined);
  });

  it("credits the impersonated user, and maps usernames to Git identities", async () => {
    await using t = await testRedis();
    const store = new IdentityStore({ redis: t.redis, prefix: t.prefix });
    await store.add([record({ username: "admin", impersonatedUser: "bob" })]);
    const a = new IdentityAttribution({
      store,
      fallback: fieldManager,
      domain: "shiplog.local",
      mapUser: (u) => (u === "bob" ? { name: "Bob Builder", email: "bob@corp.example" } : undefined),
    });
    assert.deepEqual(await a.authorFor(change()), {
      name: "Bob Builder",
      email: "bob@corp.example",
      source: "audit",
      username: "bob",
      impersonator: "admin",
      fieldManager: "kubectl-edit",
    });
  });

  it("credits a window's folded create to its creator, not to a later status write", async () => {
    await using t = await testRedis();
    const store = new IdentityStore({ redis: t.redis, prefix: t.prefix });
    // Created by alice (audit at RequestResponse: the create's own resourceVersion), then annotated by
    // a controller through the status subresource, which no source reports.
    await store.add([record({ verb: "create", resourceVersion: "100" })]);
    const a = attribution(store, { graceMs: 300 });
    const annotated = change({ resourceVersion: "101" });
    assert.equal((await a.authorFor(annotated, { op: "create" })).name, "alice@example.com");
    // The same event as an update of an already recorded object has no identity: the field manager.
    assert.equal(
      (await a.authorFor(change({ resourceVersion: "102" }), { op: "update" })).source,
      "field-manager",
    );
  });

  it("waits within the grace for an identity that arrives late", async () => {
    await using t = await testRedis();
    const store = new IdentityStore({ redis: t.redis, prefix: t.prefix });
    const a = attribution(store, { graceMs: 3000 });
    const late = setTimeout(() => void store.add([record({ username: "carol" })]), 300);
    try {
      const author = await a.authorFor(change());
      assert.equal(author.name, "carol");
    } finally {
      clearTimeout(late);
    }
  });

  it("falls back to the field manager once the grace after observedAt is over, not later", async () => {
    await using t = await testRedis();
    const store = new IdentityStore({ redis: t.redis, prefix: t.prefix });
    const a = attribution(store, { graceMs: 400 });
    const t0 = Date.now();
    assert.deepEqual(await a.authorFor(change({ observedAt: new Date(t0).toISOString() })), {
      name: "kubectl-edit",
      email: "kubectl-edit@shiplog.local",
      source: "field-manager",
      fallbackReason: "no identity within 400ms",
    });
    const waited = Date.now() - t0;
    assert.ok(waited >= 380 && waited < 1400, `waited ${waited} ms`);
    // A change observed long ago has no grace left: no wait at all.
    const t1 = Date.now();
    await a.authorFor(change({ observedAt: new Date(t1 - 60_000).toISOString() }));
    assert.ok(Date.now() - t1 < 300, `waited ${Date.now() - t1} ms for an old change`);
  });

  it("credits the field manager at once for an object found by a list (no request to wait for)", async () => {
    let asked = 0;
    const store = { lookup: () => (asked++, Promise.resolve(undefined)) };
    const a = new IdentityAttribution({ store, fallback: fieldManager, domain: "d", graceMs: 10_000 });
    assert.equal((await a.authorFor(change({ op: "listed" }))).source, "field-manager");
    assert.equal(asked, 0);
  });

  it("credits the field manager at once when the store fails", async () => {
    const failing = { lookup: () => Promise.reject(new Error("connect ECONNREFUSED")) };
    const a = new IdentityAttribution({
      store: failing,
      fallback: fieldManager,
      domain: "shiplog.local",
      graceMs: 10_000,
    });
    const t0 = Date.now();
    const author = await a.authorFor(change());
    assert.equal(author.source, "field-manager");
    assert.equal(author.fallbackReason, "the identity store (Redis) could not be read");
    assert.ok(Date.now() - t0 < 1000);
  });

  it("writes emails for usernames that are not addresses", () => {
    assert.equal(emailFor("alice@example.com", "shiplog.local"), "alice@example.com");
    assert.equal(emailFor("alice", "shiplog.local"), "alice@shiplog.local");
    assert.equal(
      emailFor("system:serviceaccount:argocd:argocd-application-controller", "shiplog.local"),
      "sa.argocd-argocd-application-controller@shiplog.local",
    );
    assert.equal(emailFor("::", "d"), "unknown@d");
  });
});
