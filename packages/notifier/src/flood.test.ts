import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FloodControl } from "./flood.js";

function clock(start = 1_000_000): { now(): number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe("flood control", () => {
  it("sends up to digestAfter commits a minute alone, then digests the rest of the minute", () => {
    const c = clock();
    const f = new FloodControl(3, 60_000, c);
    const decisions = Array.from({ length: 10 }, () => {
      c.advance(1000);
      return f.admit();
    });
    assert.deepEqual(
      decisions.slice(0, 3).map((d) => d.action),
      ["single", "single", "single"],
    );
    const digests = decisions.slice(3);
    assert.ok(digests.every((d) => d.action === "digest"));
    const ids = new Set(digests.map((d) => (d.action === "digest" ? d.windowId : 0)));
    assert.equal(ids.size, 1, "one digest instead of 7 messages");
    const first = digests[0];
    assert.ok(first?.action === "digest" && first.flushAt === first.windowId + 60_000);
  });

  it("opens one digest per minute while the flood lasts and sends alone again when it ebbs", () => {
    const c = clock();
    const f = new FloodControl(2, 60_000, c);
    const windows = new Set<number>();
    let singles = 0;
    for (let i = 0; i < 180; i++) {
      c.advance(1000); // 60 commits a minute for 3 minutes
      const d = f.admit();
      if (d.action === "digest") windows.add(d.windowId);
      else singles++;
    }
    assert.equal(singles, 2);
    assert.equal(windows.size, 3, "one digest per minute");
    c.advance(61_000);
    assert.equal(f.admit().action, "single", "after a quiet minute commits are sent alone again");
  });
});
