// checkRedis / checkRedisPolicy against real redis-servers: each started on a free port with the
// setting under test, and the shared Redis on 127.0.0.1:6379 (read only: CONFIG GET and INFO).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { CliError, ExitCodes } from "../cli-error.js";
import { startRedisServer, type TestRedisServer } from "../testkit/redis-server.test.helper.js";
import { checkRedis, checkRedisPolicy } from "./redis-check.js";

describe("checkRedisPolicy reads maxmemory-policy from a real server", () => {
  const servers: TestRedisServer[] = [];
  const start = async (settings: string[]): Promise<string> => {
    const s = await startRedisServer(settings);
    servers.push(s);
    return s.url;
  };
  let lru = "";
  let lruNoConfig = "";
  let noeviction = "";
  let blind = "";

  before(async () => {
    [lru, lruNoConfig, noeviction, blind] = await Promise.all([
      start(["--maxmemory-policy", "allkeys-lru"]),
      // As managed Redis services do: CONFIG is not available, INFO is.
      start(["--maxmemory-policy", "allkeys-lru", "--rename-command", "CONFIG", ""]),
      start(["--maxmemory-policy", "noeviction"]),
      // A user who may run neither CONFIG nor INFO (ACLs).
      start(["--user", "doc", "on", ">doc-pass-0123", "~*", "&*", "+@all", "-config", "-info"]),
    ]);
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it("from CONFIG GET", async () => {
    assert.deepEqual(await checkRedisPolicy(lru), { policy: "allkeys-lru", from: "CONFIG GET" });
    assert.deepEqual(await checkRedisPolicy(noeviction), { policy: "noeviction", from: "CONFIG GET" });
  });

  it("from INFO memory when CONFIG is disabled", async () => {
    assert.deepEqual(await checkRedisPolicy(lruNoConfig), { policy: "allkeys-lru", from: "INFO memory" });
  });

  it("says why when neither CONFIG nor INFO may be run", async () => {
    const url = blind.replace("redis://", "redis://doc:doc-pass-0123@");
    const p = await checkRedisPolicy(url);
    assert.equal(p.policy, undefined);
    assert.ok(
      p.policy === undefined && /CONFIG GET: NOPERM.*; INFO memory: NOPERM/.test(p.why),
      JSON.stringify(p),
    );
  });

  it("the shared Redis on 127.0.0.1:6379: the same policy as CONFIG GET tells", async () => {
    const client = new Redis({ host: "127.0.0.1", port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await client.connect();
      const [, policy] = (await client.config("GET", "maxmemory-policy")) as [string, string];
      assert.deepEqual(await checkRedisPolicy("redis://127.0.0.1:6379"), { policy, from: "CONFIG GET" });
    } finally {
      client.disconnect();
    }
  });

  it("an unreachable server is one CliError naming the masked URL, for both checks", async () => {
    for (const check of [checkRedis, checkRedisPolicy]) {
      await assert.rejects(check("redis://:hunter2-pass@127.0.0.1:1", 2_000), (err: unknown) => {
        assert.ok(err instanceof CliError, String(err));
        assert.equal(err.exitCode, ExitCodes.unavailable);
        assert.match(
          err.message,
          /^cannot reach Redis at redis:\/\/:\*\*\*\*\*@127\.0\.0\.1:1: connection refused$/,
        );
        return true;
      });
    }
  });
});
