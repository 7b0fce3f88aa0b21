// The `redis` config section (TLS, ACL files, Sentinel) and the one builder of connection options from
// it: every wrong value is a ConfigError naming its full key, and no error carries a file's content.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { maskConfig, parseConfig, type RedisConfig } from "./config.js";
import { ConfigError } from "./config-error.js";
import { describeRedisTarget, redisConnectionOptions } from "./redis-connection.js";

function fails(redis: unknown, field: string, message: RegExp): void {
  assert.throws(
    () => parseConfig({ redis }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.equal(err.field, field);
      assert.match(err.message, message);
      return true;
    },
  );
}

const CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";
const FILES: Record<string, string> = {
  "/s/ca.crt": CERT,
  "/s/tls.crt": CERT,
  "/s/tls.key": KEY,
  "/s/user": "shiplog\n",
  "/s/password": "hunter2-secret\n",
  "/s/sentinel-password": "sentinel-secret\r\n",
  "/s/empty": "\n",
};
function readFile(path: string): string {
  const v = FILES[path];
  if (v === undefined)
    throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: "ENOENT" });
  return v;
}
function redis(raw: unknown): RedisConfig {
  return parseConfig({ redis: raw }).redis;
}

describe("redis config", () => {
  it("TLS with a CA, a client certificate and a server name", () => {
    const cfg = redis({
      url: "rediss://redis.example:6380/1",
      passwordFile: "/s/password",
      usernameFile: "/s/user",
      tls: {
        caFile: "/s/ca.crt",
        certFile: "/s/tls.crt",
        keyFile: "/s/tls.key",
        serverName: "redis.internal",
      },
    });
    assert.deepEqual(redisConnectionOptions(cfg, readFile), {
      host: "redis.example",
      port: 6380,
      username: "shiplog",
      password: "hunter2-secret",
      db: 1,
      tls: { ca: CERT, cert: CERT, key: KEY, servername: "redis.internal" },
      maxRetriesPerRequest: null,
    });
  });

  it("insecureSkipVerify turns verification off (tests only)", () => {
    const cfg = redis({ url: "rediss://h:1", tls: { insecureSkipVerify: true } });
    assert.deepEqual(redisConnectionOptions(cfg, readFile).tls, { rejectUnauthorized: false });
  });

  it("Sentinel: the URL's host is ignored, db/user/password apply, TLS to master and Sentinels", () => {
    const cfg = redis({
      url: "rediss://ignored:1/3",
      passwordFile: "/s/password",
      tls: { caFile: "/s/ca.crt" },
      sentinel: {
        masterName: "main",
        sentinels: ["s0.redis:26379", "[::1]:26380"],
        passwordFile: "/s/sentinel-password",
        tls: true,
      },
    });
    assert.deepEqual(redisConnectionOptions(cfg, readFile), {
      password: "hunter2-secret",
      db: 3,
      tls: { ca: CERT },
      sentinels: [
        { host: "s0.redis", port: 26379 },
        { host: "::1", port: 26380 },
      ],
      name: "main",
      sentinelPassword: "sentinel-secret",
      sentinelTLS: { ca: CERT },
      enableTLSForSentinelMode: true,
      maxRetriesPerRequest: null,
    });
    assert.equal(
      describeRedisTarget(cfg),
      'master "main" via Sentinel s0.redis:26379, [::1]:26380 (rediss://, db 3)',
    );
  });

  it("plain Sentinel: no TLS options at all", () => {
    const o = redisConnectionOptions(
      redis({ url: "redis://x", sentinel: { masterName: "m", sentinels: ["a:1"] } }),
    );
    assert.deepEqual(o, {
      db: 0,
      sentinels: [{ host: "a", port: 1 }],
      name: "m",
      maxRetriesPerRequest: null,
    });
  });

  it("names the full key of every wrong value", () => {
    fails(
      { url: "redis://h", tls: { caFile: "/ca" } },
      "redis.tls.caFile",
      /^redis\.tls\.caFile: applies only to TLS: use a rediss:\/\/ URL$/,
    );
    fails({ url: "redis://h", tls: { serverName: "x" } }, "redis.tls.serverName", /rediss/);
    fails({ url: "redis://h", tls: { insecureSkipVerify: true } }, "redis.tls.insecureSkipVerify", /rediss/);
    fails(
      { url: "redis://h", tls: { certFile: "/c" }, sentinel: { masterName: "m", sentinels: ["a:1"] } },
      "redis.tls.certFile",
      /or set redis\.sentinel\.tls$/,
    );
    fails({ url: "rediss://h", tls: { certFile: "/c" } }, "redis.tls.keyFile", /set both/);
    fails({ url: "rediss://h", tls: { keyFile: "/k" } }, "redis.tls.certFile", /set both/);
    fails(
      { url: "rediss://h", tls: { caFile: "/c", insecureSkipVerify: true } },
      "redis.tls.insecureSkipVerify",
      /at most one/,
    );
    fails({ tls: { caFile: 3 } }, "redis.tls.caFile", /expected a string/);
    fails({ tls: { cafile: "/c" } }, "redis.tls.cafile", /did you mean caFile/);
    fails({ url: "redis://:pw@h", passwordFile: "/p" }, "redis.passwordFile", /a password in redis\.url/);
    fails({ url: "redis://u@h", usernameFile: "/u" }, "redis.usernameFile", /a user in redis\.url/);
    fails({ sentinel: { masterName: "m", sentinels: [] } }, "redis.sentinel.sentinels", /at least one/);
    fails({ sentinel: { sentinels: ["a:1"] } }, "redis.sentinel.masterName", /must not be empty/);
    fails({ sentinel: { masterName: "m", sentinels: ["a"] } }, "redis.sentinel.sentinels[0]", /host:port/);
    fails(
      { sentinel: { masterName: "m", sentinels: ["a:1", "b:99999"] } },
      "redis.sentinel.sentinels[1]",
      /host:port/,
    );
    fails(
      { sentinel: { masterName: "m", sentinels: ["a:1"], tls: "yes" } },
      "redis.sentinel.tls",
      /true or false/,
    );
  });

  it("a file that is missing, empty or not PEM is a ConfigError naming its key, without content", () => {
    const cases: [unknown, string, RegExp][] = [
      [
        { url: "rediss://h", tls: { caFile: "/s/nope" } },
        "redis.tls.caFile",
        /cannot read \/s\/nope \(ENOENT\)/,
      ],
      [{ url: "rediss://h", tls: { caFile: "/s/tls.key" } }, "redis.tls.caFile", /holds no PEM CERTIFICATE/],
      [
        { url: "rediss://h", tls: { certFile: "/s/tls.crt", keyFile: "/s/password" } },
        "redis.tls.keyFile",
        /no PEM PRIVATE KEY/,
      ],
      [{ passwordFile: "/s/empty" }, "redis.passwordFile", /\/s\/empty is empty/],
      [{ usernameFile: "/s/missing" }, "redis.usernameFile", /ENOENT/],
      [
        { sentinel: { masterName: "m", sentinels: ["a:1"], passwordFile: "/s/x" } },
        "redis.sentinel.passwordFile",
        /ENOENT/,
      ],
    ];
    for (const [raw, field, message] of cases) {
      const cfg = redis(raw);
      assert.throws(
        () => redisConnectionOptions(cfg, readFile),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError, String(err));
          assert.equal(err.field, field);
          assert.match(err.message, message);
          assert.ok(!err.message.includes("hunter2"), err.message);
          return true;
        },
      );
    }
  });

  it("passwords never reach the printed config", () => {
    const cfg = parseConfig({
      redis: { url: "rediss://u:hunter2-secret@h:1", tls: { caFile: "/s/ca.crt" } },
    });
    const printed = JSON.stringify(maskConfig(cfg));
    assert.ok(!printed.includes("hunter2"), printed);
    assert.match(printed, /"caFile":"\/s\/ca\.crt"/);
    assert.equal(describeRedisTarget(cfg.redis), "rediss://u:*****@h:1");
  });
});
