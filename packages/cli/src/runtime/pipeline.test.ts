import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigError, parseConfig } from "@shiplog/core";
import { sinkTargets } from "./pipeline.js";

describe("sinkTargets: the notifier's sinks, files read", () => {
  const dir = mkdtempSync(join(tmpdir(), "shiplog-cli-sinks-"));
  writeFileSync(join(dir, "url"), "https://hooks.example/T0/B0/x\n");
  writeFileSync(join(dir, "secret"), "0123456789abcdef-long-enough\n");
  writeFileSync(join(dir, "short"), "short\n");
  writeFileSync(join(dir, "not-a-url"), "ftp://hooks.example/x\n");
  const sinks = (s: Record<string, unknown>) =>
    parseConfig({ notifier: { sinks: [{ name: "team", type: "webhook", ...s }] } }).notifier.sinks;

  it("reads urlFile and secretFile and keeps routes, rate limit and attempts", () => {
    const [t] = sinkTargets(
      sinks({ urlFile: "url", secretFile: "secret", routes: { excludeOps: ["delete"] } }),
      dir,
    );
    assert.ok(t);
    assert.equal(t.url, "https://hooks.example/T0/B0/x");
    assert.equal(t.secret, "0123456789abcdef-long-enough");
    assert.deepEqual(t.routes.excludeOps, ["delete"]);
    assert.equal(t.maxAttempts, 5);
    assert.equal("urlFile" in t || "secretFile" in t, false);
  });

  it("checks what it read by core's rules, naming the key and the file", () => {
    assert.throws(
      () => sinkTargets(sinks({ urlFile: "url", secretFile: "short" }), dir),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.field === "notifier.sinks[0].secret" &&
        err.source === "short" &&
        !err.message.includes("short\n"),
    );
    assert.throws(
      () => sinkTargets(sinks({ urlFile: "not-a-url", secretFile: "secret" }), dir),
      (err: unknown) =>
        err instanceof ConfigError && err.field === "notifier.sinks[0].url" && err.source === "not-a-url",
    );
  });
});
