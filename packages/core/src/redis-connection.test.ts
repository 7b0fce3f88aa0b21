import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { Logger } from "./logger.js";
import { logRedisErrors, redactRedisError, redisConnectionOptions } from "./redis-connection.js";

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push(`${level} ${msg ?? ""} ${JSON.stringify(obj)}`);
    };
  return { lines, info: at("info"), warn: at("warn"), error: at("error"), debug: at("debug") };
}

describe("redis connection", () => {
  it("builds options from a rediss:// URL with credentials and a db", () => {
    assert.deepEqual(redisConnectionOptions("rediss://u:p%40ss@[::1]:6380/2"), {
      host: "::1",
      port: 6380,
      username: "u",
      password: "p@ss",
      db: 2,
      tls: {},
      maxRetriesPerRequest: null,
    });
  });

  it("logRedisErrors: one warning per outage, debug for the retries, info when back; nothing thrown", () => {
    const client = new EventEmitter();
    const logger = recordingLogger();
    logRedisErrors(client, logger, "committer");
    // Without a listener an EventEmitter throws on "error"; ioredis prints a stack trace instead.
    for (let i = 0; i < 3; i++) client.emit("error", new Error("connect ECONNREFUSED 127.0.0.1:6379"));
    client.emit("ready");
    client.emit("error", new Error("read ECONNRESET"));
    assert.deepEqual(
      logger.lines.map((l) => l.split(" {")[0]),
      [
        "warn redis unreachable; reconnecting",
        "debug redis still unreachable; reconnecting",
        "debug redis still unreachable; reconnecting",
        "info redis reachable again",
        "warn redis unreachable; reconnecting",
      ],
    );
    assert.match(logger.lines[0] ?? "", /"client":"committer","err":"connect ECONNREFUSED/);
  });
  it("redactRedisError masks the arguments of a failed AUTH or HELLO, in the error and its causes", () => {
    const auth = Object.assign(new Error("WRONGPASS invalid username-password pair"), {
      command: { name: "auth", args: ["shiplog", "hunter2-pass"] },
    });
    const hello = Object.assign(new Error("WRONGPASS"), {
      command: { name: "HELLO", args: ["3", "AUTH", "u", "hunter2-pass"] },
    });
    const get = Object.assign(new Error("NOPERM"), { command: { name: "get", args: ["shiplog:x"] } });
    const outer = new Error("connect failed", { cause: hello });
    assert.equal(redactRedisError(auth), auth);
    assert.deepEqual(auth.command.args, ["*****", "*****"]);
    redactRedisError(outer);
    assert.ok(!hello.command.args.includes("hunter2-pass"));
    redactRedisError(get);
    assert.deepEqual(get.command.args, ["shiplog:x"]);
    assert.equal(redactRedisError("not an error"), "not an error");
  });
});
