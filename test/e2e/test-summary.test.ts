// The summary line of `npm run test:all` (scripts/test.sh): node:test's counters added up across
// workspaces, behind turbo's prefixes and colours.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TestSummary } from "../harness/test-summary.js";

describe("TestSummary", () => {
  it("adds up the spec reporter's counters of every workspace and ignores everything else", () => {
    const s = new TestSummary();
    for (const line of [
      "@shiplog/core:test: ✔ parses a config (1.2ms)",
      "@shiplog/core:test: ℹ tests 12",
      "@shiplog/core:test: ℹ pass 11",
      "@shiplog/core:test: ℹ fail 0",
      "@shiplog/core:test: ℹ skipped 1",
      "@shiplog/core:test: ℹ todo 0",
      "\u001b[36m@shiplog/e2e:test: \u001b[0mℹ pass 30",
      "@shiplog/e2e:test: ℹ fail 2 ",
      "@shiplog/e2e:test: ℹ cancelled 3",
      "ℹ pass 1",
      "a test named ℹ pass 9 in the middle of a line",
    ])
      s.add(line);
    // Cancelled tests (a failed before hook) did not pass: they count as failed.
    assert.deepEqual([s.passed, s.failed, s.skipped], [42, 5, 1]);
    assert.equal(s.line(), "tests: 42 passed, 5 failed, 1 skipped");
    assert.equal(s.ok, false);
  });

  it("is ok only when something passed and nothing failed", () => {
    const none = new TestSummary();
    assert.equal(none.ok, false);
    assert.equal(none.line(), "tests: 0 passed, 0 failed, 0 skipped");
    none.add("ℹ pass 3");
    assert.equal(none.ok, true);
  });
});
