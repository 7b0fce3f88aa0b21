import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { TestTypes } from "@shiplog/core/testing";
import { TypeFilter } from "./type-filter.js";
import { typesReport } from "./types-report.js";

const { configmaps, secrets, widgets } = TestTypes;
const at = "2026-01-01T00:00:00.000Z";

describe("typesReport", () => {
  it("records the wanted types and names the ones config excludes", () => {
    const msg = typesReport(
      { types: [configmaps, secrets, widgets], failedGroupVersions: [] },
      (t) => new TypeFilter({}, { resources: ["secrets"] }).wantsType(t),
      new Set(),
      at,
    );
    assert.deepEqual(msg, {
      kind: "types",
      recorded: ["configmaps", "widgets.example.com"],
      excluded: ["secrets"],
      unavailableGroups: [],
      observedAt: at,
    });
  });

  it("marks the groups of failed group versions and of undiscovered CRDs unavailable", () => {
    const msg = typesReport(
      {
        types: [configmaps],
        failedGroupVersions: [
          { groupVersion: "metrics.k8s.io/v1beta1", reason: "503 ServiceUnavailable" },
          { groupVersion: "v1", reason: "stale in aggregated discovery" },
        ],
      },
      () => true,
      new Set(),
      at,
      ["gadgets.example.com"],
    );
    assert.deepEqual(msg?.unavailableGroups, ["", "example.com", "metrics.k8s.io"]);
    assert.deepEqual(msg?.recorded, ["configmaps"]);
  });

  it("sends nothing for a discovery that found no types", () => {
    assert.equal(
      typesReport({ types: [], failedGroupVersions: [] }, () => true, new Set(), at),
      undefined,
    );
  });

  it("records a forbidden type (it keeps its files) even when it is also excluded", () => {
    const msg = typesReport(
      { types: [configmaps, secrets], failedGroupVersions: [] },
      (t) => t.resource !== "secrets",
      new Set(["secrets", "gone.example.com"]),
      at,
    );
    assert.deepEqual(msg?.recorded, ["configmaps", "secrets"]);
    assert.deepEqual(msg?.excluded, []);
  });
});
