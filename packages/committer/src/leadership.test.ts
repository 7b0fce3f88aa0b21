import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { Redis } from "ioredis";
import { FakeClock } from "@shiplog/core/testing";
import { RepoLockLostError } from "./errors/repo-lock-lost-error.js";
import { Leadership } from "./leadership.js";
import { RepoLock } from "./repo-lock.js";
import { dropPrefix, MemoryLogger, redisConnection, uniquePrefix, waitFor } from "./testing/fixtures.js";

// The lock is real (Redis); time is a FakeClock, so renewals and retries happen when the test advances
// it. The tests wait only for Redis round trips, never for time to pass.
const redis = new Redis(redisConnection);
const prefixes: string[] = [];
after(async () => {
  for (const p of prefixes) await dropPrefix(p);
  redis.disconnect();
});

const TTL = 3000;
const RENEW = 1000;
const RETRY = 500;

function setup(name: string, client: Redis = redis) {
  const prefix = uniquePrefix(`lead-${name}`);
  prefixes.push(prefix);
  const key = `${prefix}:lock`;
  const clock = new FakeClock();
  const logger = new MemoryLogger();
  const lock = new RepoLock(client, key, "me", TTL);
  const leadership = new Leadership({ lock, clock, logger, renewIntervalMs: RENEW, retryIntervalMs: RETRY });
  return { key, clock, logger, lock, leadership };
}

const soon = <T>(what: string, fn: () => T | Promise<T>) => waitFor(what, fn, 5000, 2);

describe("Leadership (real Redis lock, fake clock)", () => {
  it("waits while another instance holds the lock and takes it at the next retry once it is free", async () => {
    const { key, clock, logger, leadership } = setup("wait");
    await redis.set(key, "other", "PX", 60000);
    const stop = new AbortController();
    let acquired: number | undefined;
    const acquiring = leadership.acquire(stop.signal).then((f) => (acquired = f));
    await soon("waiting (sleeping on the clock)", () => clock.pending === 1);
    assert.ok(logger.has(/another committer holds the repo lock; waiting/));
    await redis.del(key);
    await clock.advance(RETRY - 1);
    assert.equal(acquired, undefined, "no attempt before the retry interval");
    await clock.advance(1);
    await acquiring;
    assert.equal(acquired, 1, "the first term's fencing token");
    assert.equal(await redis.get(key), "me");
  });

  it("stops waiting when stopped", async () => {
    const { key, clock, leadership } = setup("stop");
    await redis.set(key, "other", "PX", 60000);
    const stop = new AbortController();
    const acquiring = leadership.acquire(stop.signal);
    await soon("waiting", () => clock.pending === 1);
    stop.abort();
    assert.equal(await acquiring, undefined);
    assert.equal(await redis.get(key), "other");
  });

  it("renews the lock every interval on the clock, and releases it when the term ends", async () => {
    const { key, clock, lock, leadership } = setup("renew");
    const fence = await lock.tryAcquire();
    assert.ok(fence !== undefined);
    const term = leadership.hold(fence);
    assert.equal(clock.pending, 1, "one renewal timer");
    await redis.pexpire(key, 1500);
    await clock.advance(RENEW - 1);
    assert.ok((await redis.pttl(key)) <= 1500, "not renewed before the interval");
    await clock.advance(1);
    await soon("renewed to the full TTL", async () => (await redis.pttl(key)) > 2000);
    await redis.pexpire(key, 1500);
    await clock.advance(RENEW);
    await soon("renewed again", async () => (await redis.pttl(key)) > 2000);
    assert.equal(term.lost.aborted, false);
    await term.end();
    assert.equal(clock.pending, 0, "renewal timer cancelled");
    assert.equal(await redis.get(key), null, "released");
  });

  it("steps down when a renewal finds the lock taken, and leaves the new holder's lock alone", async () => {
    const { key, clock, logger, lock, leadership } = setup("lost");
    const fence = await lock.tryAcquire();
    assert.ok(fence !== undefined);
    const term = leadership.hold(fence);
    // Our hold lapsed (a long pause) and another instance took the lock.
    await redis.set(key, "other", "PX", 60000);
    const aborted = once(term.lost, "abort");
    await clock.advance(RENEW);
    await aborted;
    assert.ok(term.lost.reason instanceof RepoLockLostError);
    assert.throws(() => term.lost.throwIfAborted(), RepoLockLostError);
    assert.ok(logger.has(/lost the repo lock/));
    await term.end();
    assert.equal(clock.pending, 0);
    assert.equal(await redis.get(key), "other", "the new holder keeps its lock");
  });

  it("retries a renewal that fails (Redis unreachable) at the next interval instead of stepping down", async () => {
    // A client of a port nobody listens on, without an offline queue: every command fails at once.
    const offline = new Redis({
      host: "127.0.0.1",
      port: 1,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    offline.on("error", () => undefined);
    try {
      const { clock, logger, leadership } = setup("offline", offline);
      const term = leadership.hold(1);
      const failures = () =>
        logger.lines.filter((l) => /could not renew the repo lock/.test(l.msg ?? "")).length;
      await clock.advance(RENEW);
      await soon("first renewal failed", () => failures() === 1);
      await clock.advance(RENEW);
      await soon("second renewal failed", () => failures() === 2);
      assert.equal(term.lost.aborted, false);
      await term.end();
      assert.ok(logger.has(/could not release the repo lock/));
    } finally {
      offline.disconnect();
    }
  });
  it("hands every term a higher fencing token, above the repository's floor when Redis lost its counter", async () => {
    const { key, lock } = setup("fence");
    assert.equal(await lock.tryAcquire(), 1);
    assert.equal(await lock.tryAcquire(), undefined, "held: no second term");
    await redis.del(key);
    assert.equal(await lock.tryAcquire(), 2);
    await redis.del(key, lock.fenceKey); // a Redis that lost everything
    assert.equal(await lock.tryAcquire(7), 8, "above the floor the repository reported");
  });

  it("takes back a lapsed lease only when nobody acquired it in between", async () => {
    const { key, lock } = setup("lapse");
    const fence = await lock.tryAcquire();
    assert.ok(fence !== undefined);
    await redis.del(key); // lapsed during a pause; nobody took it
    assert.equal(await lock.renew(fence), true);
    assert.equal(await redis.get(key), "me");
    await redis.del(key);
    const other = new RepoLock(redis, key, "other", TTL);
    assert.equal(await other.tryAcquire(), fence + 1);
    await redis.del(key); // the other term lapsed too: its token is newer than ours
    assert.equal(await lock.renew(fence), false, "our term is over even though the key is free");
    assert.equal(await redis.get(key), null);
  });
});
