import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { TypeFilter } from "./type-filter.js";

const cm = { group: "", resource: "configmaps", namespaced: true };
const deploy = { group: "apps", resource: "deployments", namespaced: true };
const crole = { group: "rbac.authorization.k8s.io", resource: "clusterroles", namespaced: false };

describe("TypeFilter", () => {
  it("wants everything by default", () => {
    const f = new TypeFilter();
    assert.ok(f.wantsType(cm) && f.wantsType(deploy) && f.wantsType(crole));
    assert.ok(f.wantsNamespace("kube-system") && f.wantsNamespace(""));
    assert.equal(f.includedNamespaces(), undefined);
  });

  it("includes by group and by type id, and exclude wins", () => {
    const f = new TypeFilter(
      { groups: ["apps"], resources: ["configmaps"] },
      { resources: ["deployments.apps"] },
    );
    assert.equal(f.wantsType(cm), true);
    assert.equal(f.wantsType(deploy), false);
    assert.equal(f.wantsType(crole), false);
    assert.equal(f.wantsType({ group: "apps", resource: "statefulsets", namespaced: true }), true);
  });

  it("a resources-only include does not let other types through", () => {
    const f = new TypeFilter({ resources: ["deployments.apps"] });
    assert.equal(f.wantsType(deploy), true);
    assert.equal(f.wantsType(cm), false);
  });

  it("filters namespaces but never cluster-scoped objects", () => {
    const f = new TypeFilter({ namespaces: ["b", "a"] }, { namespaces: ["b"] });
    assert.equal(f.wantsNamespace("a"), true);
    assert.equal(f.wantsNamespace("b"), false);
    assert.equal(f.wantsNamespace("c"), false);
    assert.equal(f.wantsNamespace(""), true);
    assert.deepEqual(f.includedNamespaces(), ["a", "b"]);
  });

  it("excluded groups cover the core group", () => {
    const f = new TypeFilter({}, { groups: [""] });
    assert.equal(f.wantsType(cm), false);
    assert.equal(f.wantsType(deploy), true);
  });
});
