// Sentinel with real processes: one master redis-server (with the minimal ACL user shiplog connects
// as) and one `redis-server --sentinel` monitoring it with quorum 1 and its own password. Connecting
// through the Sentinel reaches the master, a BullMQ job goes round through it, and a wrong master
// name or an unreachable Sentinel is named as a Sentinel problem.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseConfig } from "@shiplog/core";
import { bullmqRoundTrip } from "../testkit/bullmq-round-trip.test.helper.js";
import { startRedisServer, type TestRedisServer } from "../testkit/redis-server.test.helper.js";
import { askSentinels, checkRedis, inspectRedis } from "./redis-check.js";
import { RedisCheckError } from "./redis-errors.js";
import { redisTarget, type RedisTarget } from "./redis-target.js";

const PASSWORD = "sentinel-acl-Pass-29d1";
const SENTINEL_PASSWORD = "sentinel-Own-Pass-71c3";
const PREFIX = "sentinel-test";

describe("redis through Sentinel", () => {
  const dir = mkdtempSync(join(tmpdir(), "shiplog-cli-sentinel-"));
  let master: TestRedisServer;
  let sentinel: TestRedisServer;
  const file = (name: string, content: string): string => {
    const p = join(dir, name);
    writeFileSync(p, content, { mode: 0o600 });
    return p;
  };
  const user = file("username", "shiplog\n");
  const password = file("password", `${PASSWORD}\n`);
  const sentinelPassword = file("sentinel-password", `${SENTINEL_PASSWORD}\n`);

  function target(sentinelOverrides: Record<string, unknown> = {}): RedisTarget {
    return redisTarget(
      parseConfig({
        redis: {
          // host and port are ignored with Sentinel; the db and the credentials apply.
          url: "redis://ignored.invalid:1/0",
          prefix: PREFIX,
          usernameFile: user,
          passwordFile: password,
          sentinel: {
            masterName: "shiplog-main",
            sentinels: [`127.0.0.1:${sentinel.port}`],
            passwordFile: sentinelPassword,
            ...sentinelOverrides,
          },
        },
      }).redis,
      dir,
    );
  }

  before(async () => {
    // The default user stays for the Sentinel's own monitoring connection; shiplog uses its ACL user.
    master = await startRedisServer([
      "--user", "shiplog", "on", `>${PASSWORD}`, `~${PREFIX}:*`, "resetchannels", "+@all", "-@dangerous", "+info",
    ]); // prettier-ignore
    sentinel = await startRedisServer([], {
      sentinelConf: [
        `sentinel monitor shiplog-main 127.0.0.1 ${master.port} 1`,
        "sentinel down-after-milliseconds shiplog-main 5000",
        `requirepass ${SENTINEL_PASSWORD}`,
        "",
      ].join("\n"),
      ready: (url) => url.replace("redis://", `redis://:${SENTINEL_PASSWORD}@`),
    });
  });

  after(async () => {
    await sentinel?.close();
    await master?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the Sentinel names the master, and the connection reaches it as the ACL user", async () => {
    const t = target();
    assert.equal(t.connection.host, undefined);
    assert.deepEqual(await askSentinels(t), [
      { sentinel: `127.0.0.1:${sentinel.port}`, master: `127.0.0.1:${master.port}` },
    ]);
    await checkRedis(t);
    const seen = await inspectRedis(t, PREFIX);
    assert.equal(seen.address, `127.0.0.1:${master.port}`);
    assert.equal(seen.user, "shiplog");
    assert.equal(seen.permissionProblem, undefined);
  });

  it("a BullMQ job goes round through the Sentinel", async () => {
    const { connection } = target();
    assert.deepEqual(await bullmqRoundTrip(connection, "via-sentinel", PREFIX, { via: "sentinel" }), {
      via: "sentinel",
    });
  });

  it("a master name the Sentinel does not monitor is named", async () => {
    const t = target({ masterName: "other" });
    assert.deepEqual(await askSentinels(t), [
      {
        sentinel: `127.0.0.1:${sentinel.port}`,
        master: undefined,
        problem: 'does not monitor a master named "other"',
      },
    ]);
    await assert.rejects(checkRedis(t, 3_000), (err: unknown) => {
      assert.ok(err instanceof RedisCheckError, String(err));
      assert.equal(err.failure.kind, "sentinel", err.message);
      return true;
    });
  });

  it("an unreachable Sentinel is a Sentinel failure", async () => {
    const t = target({ sentinels: ["127.0.0.1:1"] });
    const [answer] = await askSentinels(t);
    assert.match(
      answer !== undefined && answer.master === undefined ? answer.problem : "",
      /connection refused/,
    );
    await assert.rejects(checkRedis(t, 3_000), (err: unknown) => {
      assert.ok(err instanceof RedisCheckError, String(err));
      assert.equal(err.failure.kind, "sentinel", err.message);
      assert.match(
        err.message,
        /^cannot connect to Redis at master "shiplog-main" via Sentinel 127\.0\.0\.1:1/,
      );
      return true;
    });
  });

  it("a wrong Sentinel password is named, without the password", async () => {
    const t = target({ passwordFile: password });
    const [answer] = await askSentinels(t);
    const problem = answer !== undefined && answer.master === undefined ? answer.problem : "";
    assert.match(problem, /WRONGPASS|authentication/);
    assert.ok(!problem.includes(PASSWORD));
  });
});
