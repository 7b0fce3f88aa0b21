import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConfigError } from "./config-error.js";
import { failpoints, noFailpoints, parseFailpoints } from "./failpoints.js";

describe("failpoints", () => {
  it("arms nothing without a spec", () => {
    assert.equal(failpoints(undefined), noFailpoints);
    assert.equal(failpoints("  ").armed.size, 0);
    assert.doesNotThrow(() => noFailpoints.hit("committer/before-publish"));
  });

  it("parses name=action pairs and throws at an armed point only", () => {
    const fp = failpoints("committer/before-publish=throw, committer/before-ack=kill");
    assert.deepEqual(
      [...fp.armed],
      [
        ["committer/before-publish", "throw"],
        ["committer/before-ack", "kill"],
      ],
    );
    assert.throws(() => fp.hit("committer/before-publish"), /failpoint committer\/before-publish hit/);
    assert.doesNotThrow(() => fp.hit("committer/after-ref-update"));
  });

  it("rejects an unknown name or action naming the variable", () => {
    for (const [spec, problem] of [
      [
        "committer/nowhere=kill",
        /unknown failpoint "committer\/nowhere"; known: committer\/after-ref-update/,
      ],
      ["committer/before-ack=explode", /expected an action kill or throw/],
      ["committer/before-ack", /expected an action kill or throw/],
    ] as const) {
      assert.throws(
        () => parseFailpoints(spec),
        (err: unknown) =>
          err instanceof ConfigError && err.field === "SHIPLOG_FAILPOINTS" && problem.test(err.message),
      );
    }
  });
});
