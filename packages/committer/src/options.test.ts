import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CommitterConfigError } from "./errors/committer-config-error.js";
import { resolveTimings } from "./options.js";
import type { CommitterOptions } from "./options.js";

const base: CommitterOptions = { repoPath: "/tmp/x", cluster: "c", queue: { connection: {}, prefix: "p" } };

describe("committer options", () => {
  it("fills documented defaults", () => {
    const t = resolveTimings(base);
    assert.equal(t.quietPeriodMs, 5000);
    assert.equal(t.maxWindowMs, 60000);
  });

  for (const [field, opts] of [
    ["quietPeriodMs", { ...base, quietPeriodMs: -1 }],
    ["maxWindowMs", { ...base, quietPeriodMs: 5000, maxWindowMs: 1000 }],
    ["cluster", { ...base, cluster: "" }],
    ["remote.url", { ...base, remote: { url: "" } }],
    ["remote.pushIntervalMs", { ...base, remote: { url: "x", pushIntervalMs: 0.5 } }],
    ["authorDomain", { ...base, authorDomain: "a b" }],
  ] as const) {
    it(`rejects a bad ${field} naming the field`, () => {
      assert.throws(
        () => resolveTimings(opts),
        (err: unknown) =>
          err instanceof CommitterConfigError && err.field === field && err.message.includes(field),
      );
    });
  }
});
