import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { eventTimeOf } from "./event-time.js";
import { configMap } from "./testing/messages.js";

const at = (iso: string): number => Date.parse(iso);

describe("eventTimeOf", () => {
  it("uses the observation time of a change delivered live", () => {
    const m = {
      ...configMap("ns", "a", { v: "1" }, { observedAt: "2026-01-01T00:00:01.700Z" }),
      changedAt: "2026-01-01T00:00:01Z",
    };
    assert.equal(eventTimeOf(m), at("2026-01-01T00:00:01.700Z"));
  });

  it("uses the apiserver's time of a change delivered late (a resumed watch's backlog)", () => {
    const m = {
      ...configMap("ns", "a", { v: "1" }, { observedAt: "2026-01-01T00:01:00.000Z" }),
      changedAt: "2026-01-01T00:00:03Z",
    };
    assert.equal(eventTimeOf(m), at("2026-01-01T00:00:03Z"));
  });

  it("uses the list's observation time for a listed object, however old its last write", () => {
    const m = {
      ...configMap("ns", "a", { v: "1" }, { op: "listed", observedAt: "2026-01-01T00:01:00.000Z" }),
      changedAt: "2025-06-01T00:00:00Z",
    };
    assert.equal(eventTimeOf(m), at("2026-01-01T00:01:00.000Z"));
  });

  it("falls back to the observation time without changedAt, and has no time for other messages", () => {
    assert.equal(
      eventTimeOf(configMap("ns", "a", {}, { observedAt: "2026-01-01T00:00:00.500Z" })),
      at("2026-01-01T00:00:00.500Z"),
    );
    assert.equal(
      eventTimeOf({
        kind: "types",
        recorded: [],
        excluded: [],
        unavailableGroups: [],
        observedAt: "2026-01-01T00:00:00Z",
      }),
      undefined,
    );
  });
});
