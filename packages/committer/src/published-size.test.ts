import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { PublishedChange } from "@shiplog/core";
import { DIFF_OMITTED, diffOmitted, limitDiffs } from "./published-size.js";

const change = (i: number, diffBytes: number): PublishedChange => ({
  op: "update",
  type: "configmaps",
  kind: "ConfigMap",
  namespace: "ns",
  name: `cm-${i}`,
  path: `ns/configmaps/cm-${i}.yaml`,
  summary: "data.k changed",
  updates: 1,
  diff: "+".repeat(diffBytes),
});

describe("limitDiffs", () => {
  it("returns the changes as they are when their diffs fit", () => {
    const changes = [change(1, 100), change(2, 100)];
    assert.equal(limitDiffs(changes, 1000), changes);
  });

  it("keeps every change but only the diffs that fit the budget, in order", () => {
    const changes = Array.from({ length: 50 }, (_, i) => change(i, 100_000));
    const out = limitDiffs(changes);
    assert.equal(out.length, 50);
    assert.deepEqual(
      out.map((c) => c.name),
      changes.map((c) => c.name),
    );
    const kept = out.filter((c) => c.diff !== DIFF_OMITTED);
    assert.equal(kept.length, 10); // 10 x 100,000 bytes fit 1 MiB, the 11th does not
    assert.ok(out.slice(10).every((c) => c.diff === DIFF_OMITTED && c.summary === "data.k changed"));
    assert.ok(JSON.stringify(out).length < 1.1 * 1024 * 1024);
  });

  it("names the budget it applied in the placeholder, and applying it again changes nothing", () => {
    const changes = Array.from({ length: 5 }, (_, i) => change(i, 1000));
    const out = limitDiffs(changes, 2048);
    assert.equal(out[2]?.diff, diffOmitted(2048));
    assert.match(diffOmitted(2048), /at most 2 KiB of diffs/);
    assert.match(DIFF_OMITTED, /at most 1 MiB of diffs/);
    assert.equal(limitDiffs(out, 2048), out, "already bounded: returned as it is");
  });
});
