// The Redis helpers: the shared server or a private one, and a persistent private server whose
// acknowledged writes survive a SIGKILL.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, describe, it } from "node:test";
import { Redis } from "ioredis";
import { pingRedis, startPrivateRedis, testRedis, uniquePrefix } from "../harness/index.js";
import { groupAlive } from "../harness/processes.js";

describe("redis helpers", () => {
  const clients: Redis[] = [];
  const connectTo = (url: string): Redis => {
    const c = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: false });
    clients.push(c);
    return c;
  };
  after(() => {
    for (const c of clients) c.disconnect();
  });

  it("testRedis() answers PING and works with a unique prefix", async () => {
    const r = await testRedis();
    try {
      assert.equal(await pingRedis(r.host, r.port), true);
      const prefix = uniquePrefix("redis smoke");
      assert.match(prefix, /^t-redis-smoke-[0-9a-f]{8}$/);
      const c = connectTo(r.url);
      await c.set(`${prefix}:k`, "v");
      assert.equal(await c.get(`${prefix}:k`), "v");
      await c.del(`${prefix}:k`);
    } finally {
      await r.stop();
    }
  });

  it("a persistent private redis keeps acknowledged writes across kill9() + restart()", async () => {
    const r = await startPrivateRedis({ persistent: true });
    try {
      assert.notEqual(r.port, 6379);
      const c = connectTo(r.url);
      await c.set("k", "survives");
      await c.rpush("list", "a", "b");
      c.disconnect();
      await r.kill9();
      assert.equal(await pingRedis(r.host, r.port), false);
      await r.restart();
      const c2 = connectTo(r.url);
      assert.equal(await c2.get("k"), "survives");
      assert.deepEqual(await c2.lrange("list", 0, -1), ["a", "b"]);
      c2.disconnect();
    } finally {
      await r.stop();
    }
    assert.equal(existsSync(r.dir), false);
  });

  it("a non-persistent private redis loses its data on kill9() (so the test above can fail)", async () => {
    const r = await startPrivateRedis();
    try {
      const c = connectTo(r.url);
      await c.set("k", "gone");
      c.disconnect();
      await r.kill9();
      await r.restart();
      const c2 = connectTo(r.url);
      assert.equal(await c2.get("k"), null);
      c2.disconnect();
    } finally {
      await r.stop();
    }
  });

  it("stop() is idempotent and leaves no redis-server", async () => {
    const r = await startPrivateRedis();
    assert.equal(groupAlive(r.pid()), true);
    await r.stop();
    await r.stop();
    assert.equal(await pingRedis(r.host, r.port), false);
    assert.equal(groupAlive(r.pid()), false);
  });
});
