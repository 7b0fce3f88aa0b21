import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { createLogger } from "./process-logger.js";

describe("createLogger", () => {
  it("writes JSON lines with levels and censors secret-bearing fields", () => {
    const lines: string[] = [];
    const dest = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString("utf8"));
        cb();
      },
    });
    const log = createLogger({ level: "debug", destination: dest });
    log.info({ content: "password: hunter2", data: { p: "aHVudGVyMg==" }, key: { name: "db" } }, "change");
    log.debug({ nested: { stringData: { p: "hunter2" }, token: "t0ken" } }, "d");
    log.trace({}, "not at debug");
    const joined = lines.join("");
    assert.doesNotMatch(joined, /hunter2|aHVudGVyMg|t0ken/);
    assert.equal(lines.length, 2);
    const first = JSON.parse(lines[0] ?? "") as Record<string, unknown>;
    assert.equal(first["level"], "info");
    assert.equal(first["msg"], "change");
    assert.deepEqual(first["key"], { name: "db" });
  });

  it("rejects an unknown level naming log.level", () => {
    assert.throws(() => createLogger({ level: "loud" }), /log\.level/);
  });
});
