import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { groupOfTypeId, typesMessage } from "./messages.js";

describe("typesMessage", () => {
  it("sorts and dedupes every list and keeps a recorded type out of excluded", () => {
    const m = typesMessage({
      recorded: ["widgets.example.com", "configmaps", "configmaps"],
      excluded: ["secrets", "widgets.example.com", "events"],
      unavailableGroups: ["metrics.k8s.io", "", "metrics.k8s.io"],
      observedAt: "2026-01-01T00:00:00.000Z",
    });
    assert.deepEqual(m, {
      kind: "types",
      recorded: ["configmaps", "widgets.example.com"],
      excluded: ["events", "secrets"],
      unavailableGroups: ["", "metrics.k8s.io"],
      observedAt: "2026-01-01T00:00:00.000Z",
    });
  });

  it("defaults unavailableGroups to none", () => {
    assert.deepEqual(typesMessage({ recorded: [], excluded: [], observedAt: "t" }).unavailableGroups, []);
  });
});

describe("groupOfTypeId", () => {
  it("is everything after the first dot, the core group without one", () => {
    assert.equal(groupOfTypeId("configmaps"), "");
    assert.equal(groupOfTypeId("deployments.apps"), "apps");
    assert.equal(groupOfTypeId("clusterroles.rbac.authorization.k8s.io"), "rbac.authorization.k8s.io");
  });
});
