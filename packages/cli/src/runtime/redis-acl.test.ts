// An ACL user on a real redis-server (the default user off), with the minimal rights this change
// documents for BullMQ (docs/deploy.md): the user name and password come from files, a BullMQ job goes
// round, and a wrong password is one clear line that contains the password nowhere: not in the error,
// its causes, nor any log line.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { inspect } from "node:util";
import { after, before, describe, it } from "node:test";
import { logRedisErrors, parseConfig, redactRedisError } from "@shiplog/core";
import { bullmqRoundTrip } from "../testkit/bullmq-round-trip.test.helper.js";
import { Redis } from "ioredis";
import { startRedisServer, type TestRedisServer } from "../testkit/redis-server.test.helper.js";
import { createLogger } from "./process-logger.js";
import { checkRedis, inspectRedis } from "./redis-check.js";
import { RedisCheckError } from "./redis-errors.js";
import { redisTarget, redisUrlTarget, type RedisTarget } from "./redis-target.js";

const PASSWORD = "acl-Pass-4f9c2e7d1b";
const WRONG = "wrong-Pass-8a1d3c5e9f";
const PREFIX = "acl-test";

/** The rights docs/deploy.md recommends for shiplog's user: its prefix, no dangerous commands but INFO. */
export const MINIMAL_ACL = [
  "on",
  `>${PASSWORD}`,
  `~${PREFIX}:*`,
  "resetchannels",
  "+@all",
  "-@dangerous",
  "+info",
];

describe("redis ACL user from usernameFile and passwordFile", () => {
  const dir = mkdtempSync(join(tmpdir(), "shiplog-cli-acl-"));
  let server: TestRedisServer;
  const file = (name: string, content: string): string => {
    const p = join(dir, name);
    writeFileSync(p, content, { mode: 0o600 });
    return p;
  };
  const user = file("username", "shiplog\n");
  const good = file("password", `${PASSWORD}\n`);
  const wrong = file("wrong-password", `${WRONG}\n`);

  function target(passwordFile: string | undefined, prefix = PREFIX, url = server.url): RedisTarget {
    return redisTarget(
      parseConfig({
        redis: { url, prefix, usernameFile: user, ...(passwordFile !== undefined ? { passwordFile } : {}) },
      }).redis,
      dir,
    );
  }

  before(async () => {
    server = await startRedisServer(["--user", "default", "off", "--user", "shiplog", ...MINIMAL_ACL], {
      ready: (url) => target(good, PREFIX, url),
    });
  });

  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("authenticates with the files, and the user may run what shiplog runs under its prefix", async () => {
    const seen = await inspectRedis(target(good), PREFIX);
    assert.equal(seen.user, "shiplog");
    assert.equal(seen.permissionProblem, undefined);
  });

  it("a BullMQ job goes round with only the minimal rights", async () => {
    const { connection } = target(good);
    assert.deepEqual(await bullmqRoundTrip(connection, "acl", PREFIX, { via: "acl" }), { via: "acl" });
  });

  it("outside its key pattern the user gets NOPERM, named", async () => {
    const seen = await inspectRedis(target(good, "elsewhere"), "elsewhere");
    assert.match(seen.permissionProblem ?? "", /NOPERM/);
  });

  it("a wrong password: WRONGPASS in one line, the password nowhere", async () => {
    let caught: unknown;
    await assert.rejects(checkRedis(target(wrong), 3_000), (err: unknown) => {
      caught = err;
      assert.ok(err instanceof RedisCheckError, String(err));
      assert.equal(err.failure.kind, "auth");
      assert.match(
        err.message,
        /^cannot connect to Redis at redis:\/\/127\.0\.0\.1:\d+: authentication failed: WRONGPASS/,
      );
      return true;
    });
    const everything = inspect(caught, { depth: 10, showHidden: true });
    for (const secret of [WRONG, PASSWORD]) assert.ok(!everything.includes(secret), everything);
  });

  it("no credentials at all: NOAUTH, named", async () => {
    await assert.rejects(checkRedis(redisUrlTarget(server.url), 3_000), /authentication required: NOAUTH/);
  });

  it("log lines of a failing client carry no password, even with the raw ioredis error logged", async () => {
    const out = new PassThrough();
    let logged = "";
    out.on("data", (c: Buffer) => (logged += c.toString("utf8")));
    const logger = createLogger({ level: "debug", destination: out });
    const client = new Redis({ ...target(wrong).connection, lazyConnect: true, retryStrategy: () => null });
    const raw = new Promise<Error>((resolve) => client.once("error", resolve));
    logRedisErrors(client, logger, "acl-test");
    try {
      await client.connect().catch(() => undefined);
      const err = await raw;
      logger.warn({ err }, "redis error");
      // pino's redact is the second fence, for an error that did not pass through redactRedisError.
      const unredacted = Object.assign(new Error("WRONGPASS invalid username-password pair"), {
        command: { name: "auth", args: ["shiplog", WRONG] },
      });
      logger.warn({ err: unredacted }, "raw");
      logger.warn({ cause: { err: unredacted } }, "nested");
      assert.match(err.message, /WRONGPASS/);
      assert.ok(!inspect(redactRedisError(err), { depth: 5 }).includes(WRONG));
    } finally {
      client.disconnect();
    }
    assert.match(logged, /WRONGPASS/);
    assert.ok(!logged.includes(WRONG) && !logged.includes(PASSWORD), logged);
  });
});
