// `shiplog doctor` against real production-style Redis servers: TLS with client certificates, an ACL
// user, and Sentinel. Each configured feature gets its own line, and each failure names what failed
// (unknown CA, client cert rejected, WRONGPASS, NOPERM, the Sentinel's answer) with a fix. The
// kubeconfig is missing on purpose (no apiserver in unit tests), so that check always fails too.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseConfig, toYaml } from "@shiplog/core";
import { redisTarget } from "../runtime/redis-target.js";
import { runDoctor, type Finding } from "../testkit/doctor.test.helper.js";
import { createRedisTestPki, type RedisTestPki } from "../testkit/tls.test.helper.js";
import { startRedisServer, type TestRedisServer } from "../testkit/redis-server.test.helper.js";

const PASSWORD = "doctor-acl-Pass-5e0b77";
const PREFIX = "doctor-test";

describe("shiplog doctor checks TLS, the ACL user and Sentinel", () => {
  const dir = mkdtempSync(join(tmpdir(), "shiplog-cli-doctor-redis-"));
  const file = (name: string, content: string): string => {
    const p = join(dir, name);
    writeFileSync(p, content, { mode: 0o600 });
    return p;
  };
  const keyFile = file("hmac.key", "k".repeat(32));
  const user = file("username", "shiplog\n");
  const password = file("password", `${PASSWORD}\n`);
  const wrongPassword = file("wrong-password", "not-the-password-123\n");
  const servers: TestRedisServer[] = [];
  let pki: RedisTestPki;
  let tls: TestRedisServer;
  let acl: TestRedisServer;
  let master: TestRedisServer;
  let sentinel: TestRedisServer;

  /** `shiplog doctor -o json` with this `redis` section; the redis* findings and the raw output. */
  async function doctor(redis: Record<string, unknown>): Promise<{ redis: Finding[]; stdout: string }> {
    const { stdout } = await runDoctor(
      dir,
      toYaml({
        redis: { prefix: PREFIX, ...redis },
        repo: { path: join(dir, "repo") },
        secrets: { hmacKeyFile: keyFile },
      }),
    );
    const out = JSON.parse(stdout) as { findings: Finding[] };
    return { redis: out.findings.filter((f) => f.check.startsWith("redis") || f.check === "config"), stdout };
  }
  const lines = (fs: Finding[]): string[][] => fs.map((f) => [f.check, f.status]);

  before(async () => {
    pki = await createRedisTestPki();
    const start = async (
      settings: string[],
      opts?: Parameters<typeof startRedisServer>[1],
    ): Promise<TestRedisServer> => {
      const s = await startRedisServer(settings, opts);
      servers.push(s);
      return s;
    };
    const mtls = { caFile: pki.caCert, certFile: pki.clientCert, keyFile: pki.clientKey };
    [tls, acl, master] = await Promise.all([
      start(["--tls-auth-clients", "yes", "--maxmemory-policy", "noeviction"], {
        tls: { certFile: pki.serverCert, keyFile: pki.serverKey, caFile: pki.caCert },
        ready: (url) => redisTarget(parseConfig({ redis: { url, tls: mtls } }).redis, dir),
      }),
      start([
        "--maxmemory-policy", "noeviction", "--user", "default", "off",
        "--user", "shiplog", "on", `>${PASSWORD}`, `~${PREFIX}:*`, "resetchannels", "+@all", "-@dangerous", "+info",
      ], { ready: (url) => redisTarget(parseConfig({ redis: { url, usernameFile: user, passwordFile: password } }).redis, dir) }), // prettier-ignore
      start(["--maxmemory-policy", "noeviction"]),
    ]);
    sentinel = await start([], {
      sentinelConf: `sentinel monitor main 127.0.0.1 ${master.port} 1\n`,
    });
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await pki?.[Symbol.asyncDispose]();
    rmSync(dir, { recursive: true, force: true });
  });

  it("TLS verified against the CA, with the client certificate", async () => {
    const r = await doctor({
      url: tls.url,
      tls: { caFile: pki.caCert, certFile: pki.clientCert, keyFile: pki.clientKey },
    });
    assert.deepEqual(lines(r.redis), [
      ["config", "ok"],
      ["redis", "ok"],
      ["redis tls", "ok"],
      ["redis eviction", "ok"],
    ]);
    assert.match(
      r.redis[2]?.message ?? "",
      /^TLSv1\.[23] handshake verified against the CA in redis\.tls\.caFile .*; client certificate accepted$/,
    );
  });

  it("TLS against the wrong CA: unknown CA, with the fix", async () => {
    const r = await doctor({
      url: tls.url,
      tls: { caFile: pki.otherCaCert, certFile: pki.clientCert, keyFile: pki.clientKey },
    });
    assert.deepEqual(lines(r.redis), [
      ["config", "ok"],
      ["redis tls", "fail"],
    ]);
    assert.match(r.redis[1]?.message ?? "", /unknown CA/);
    assert.match(r.redis[1]?.fix ?? "", /redis\.tls\.caFile/);
  });

  it("TLS without a client certificate: client cert rejected", async () => {
    const r = await doctor({ url: tls.url, tls: { caFile: pki.caCert } });
    assert.deepEqual(lines(r.redis), [
      ["config", "ok"],
      ["redis tls", "fail"],
    ]);
    assert.match(r.redis[1]?.message ?? "", /client cert rejected/);
    assert.match(r.redis[1]?.fix ?? "", /redis\.tls\.certFile/);
  });

  it("the ACL user: authenticated, and may run BullMQ's scripts under the prefix", async () => {
    const r = await doctor({ url: acl.url, usernameFile: user, passwordFile: password });
    assert.deepEqual(lines(r.redis), [
      ["config", "ok"],
      ["redis", "ok"],
      ["redis auth", "ok"],
      ["redis eviction", "ok"],
    ]);
    assert.match(r.redis[2]?.message ?? "", /^authenticated as user "shiplog" with redis\.passwordFile/);
    // -@dangerous takes CONFIG away; INFO, which BullMQ needs too, still tells the policy.
    assert.match(r.redis[3]?.message ?? "", /\(INFO memory\)$/);
    assert.doesNotMatch(r.stdout, new RegExp(PASSWORD));
  });

  it("a wrong password: WRONGPASS named, the password nowhere", async () => {
    const r = await doctor({ url: acl.url, usernameFile: user, passwordFile: wrongPassword });
    assert.deepEqual(lines(r.redis), [
      ["config", "ok"],
      ["redis auth", "fail"],
    ]);
    assert.match(r.redis[1]?.message ?? "", /WRONGPASS/);
    assert.doesNotMatch(r.stdout, /not-the-password-123/);
  });

  it("a prefix outside the user's keys: NOPERM named, with the ACL to grant", async () => {
    const r = await doctor({ url: acl.url, usernameFile: user, passwordFile: password, prefix: "elsewhere" });
    const auth = r.redis.find((f) => f.check === "redis auth");
    assert.equal(auth?.status, "fail");
    assert.match(auth?.message ?? "", /NOPERM/);
    assert.match(auth?.fix ?? "", /~elsewhere:\*/);
  });

  it("Sentinel: reachable, and which master it names", async () => {
    const r = await doctor({
      url: "redis://ignored.invalid:1",
      sentinel: { masterName: "main", sentinels: [`127.0.0.1:${sentinel.port}`] },
    });
    assert.deepEqual(lines(r.redis), [
      ["config", "ok"],
      ["redis sentinel", "ok"],
      ["redis", "ok"],
      ["redis eviction", "ok"],
    ]);
    assert.equal(
      r.redis[1]?.message,
      `1 of 1 Sentinel(s) reachable; master "main" is at 127.0.0.1:${master.port} (from 127.0.0.1:${sentinel.port})`,
    );
    assert.match(
      r.redis[2]?.message ?? "",
      new RegExp(`via Sentinel .* answers PING \\(master at 127\\.0\\.0\\.1:${master.port}\\)`),
    );
  });

  it("Sentinel that does not know the master name: fails, and the connection check is skipped", async () => {
    const r = await doctor({
      url: "redis://x:1",
      sentinel: { masterName: "nope", sentinels: [`127.0.0.1:${sentinel.port}`] },
    });
    assert.deepEqual(lines(r.redis), [
      ["config", "ok"],
      ["redis sentinel", "fail"],
    ]);
    assert.match(r.redis[1]?.message ?? "", /does not monitor a master named "nope"/);
  });

  it("config errors name the full key: TLS settings with redis://, a missing password file", async () => {
    const bad = await doctor({ url: acl.url, tls: { caFile: pki.caCert } });
    assert.deepEqual(lines(bad.redis), [["config", "fail"]]);
    assert.match(bad.redis[0]?.message ?? "", /redis\.tls\.caFile: applies only to TLS/);
    const missing = await doctor({ url: acl.url, passwordFile: join(dir, "missing") });
    assert.deepEqual(lines(missing.redis), [
      ["config", "ok"],
      ["redis", "fail"],
    ]);
    assert.match(
      missing.redis[1]?.message ?? "",
      /^invalid config: redis\.passwordFile: cannot read .*missing \(ENOENT\)/,
    );
  });
});
