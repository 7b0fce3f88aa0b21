import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { Logger } from "./logger.js";
import { logRedisErrors, redisConnectionOptions } from "./redis-connection.js";

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
});
