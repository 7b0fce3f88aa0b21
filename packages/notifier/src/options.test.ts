// The notifier's own options. Sink rules (names, types, URLs, secrets, routes, rate limits, the commit
// URL template) belong to core's config schema and are tested there.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConfigError } from "@shiplog/core";
import { resolveOptions } from "./options.js";
import type { NotifierOptions } from "./options.js";
import { Notifier } from "./notifier.js";

const base: NotifierOptions = { queue: { connection: { host: "127.0.0.1" }, prefix: "p" }, sinks: [] };

function fails(opts: Partial<NotifierOptions>, field: string, message: RegExp): void {
  assert.throws(
    () => resolveOptions({ ...base, ...opts }),
    (err: unknown) => err instanceof ConfigError && err.field === field && message.test(err.message),
    `expected an error naming ${field}`,
  );
}

describe("options", () => {
  it("fills documented defaults", () => {
    const o = resolveOptions(base);
    assert.equal(o.rateWindowMs, 60_000);
    assert.equal(o.retryBaseDelayMs, 1000);
    assert.equal(o.retryMaxDelayMs, 600_000);
    assert.equal(o.requestTimeoutMs, 10_000);
    assert.equal(o.maxDiffLines, 40);
    assert.equal(o.commitUrlTemplate, undefined);
  });

  it("names the bad option with core's ConfigError", () => {
    fails({ queue: { connection: {}, prefix: "" } }, "notifier.queue.prefix", /non-empty/);
    fails(
      { queue: { connection: undefined as never, prefix: "p" } },
      "notifier.queue.connection",
      /connection options/,
    );
    fails({ rateWindowMs: -1 }, "notifier.rateWindowMs", /integer >= 1/);
    fails({ retryBaseDelayMs: 0 }, "notifier.retryBaseDelayMs", /integer >= 1/);
    fails({ retryMaxDelayMs: 1.5 }, "notifier.retryMaxDelayMs", /integer/);
    fails({ requestTimeoutMs: 0 }, "notifier.requestTimeoutMs", /integer >= 1/);
    fails({ maxDiffLines: 0 }, "notifier.maxDiffLines", /integer >= 1/);
  });

  it("checks at construction, before anything connects", () => {
    assert.throws(
      () => new Notifier({ ...base, rateWindowMs: 0 }),
      (err: unknown) => err instanceof ConfigError && err.field === "notifier.rateWindowMs",
    );
  });
});
