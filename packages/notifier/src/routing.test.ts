import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createRouter } from "./routing.js";
import { change, commit } from "./testkit/commits.test.helper.js";

const mixed = commit({
  changes: [
    change({
      op: "update",
      namespace: "prod",
      type: "deployments.apps",
      name: "web",
      labels: { app: "web", tier: "front" },
    }),
    change({ op: "create", namespace: "prod", type: "configmaps", name: "cfg", labels: { app: "web" } }),
    change({ op: "delete", namespace: "dev", type: "deployments.apps", name: "old", labels: {} }),
    change({
      op: "update",
      namespace: "",
      type: "clusterroles.rbac.authorization.k8s.io",
      name: "admin",
      labels: undefined,
    }),
  ],
});

const names = (rules: Parameters<typeof createRouter>[0], c = mixed): string[] | undefined =>
  createRouter(rules)
    .route(c)
    ?.changes.map((ch) => ch.name);

describe("routing", () => {
  it("passes everything without rules, and returns the same commit", () => {
    assert.equal(createRouter({}).route(mixed), mixed);
  });

  it("filters by namespace include/exclude with wildcards", () => {
    assert.deepEqual(names({ namespaces: ["prod"] }), ["web", "cfg"]);
    assert.deepEqual(names({ excludeNamespaces: ["prod"] }), ["old", "admin"]);
    assert.deepEqual(names({ namespaces: ["pr*"] }), ["web", "cfg"]);
    assert.deepEqual(names({ namespaces: [""] }), ["admin"], 'cluster-scoped objects have namespace ""');
  });

  it("filters by type", () => {
    assert.deepEqual(names({ types: ["deployments.apps"] }), ["web", "old"]);
    assert.deepEqual(names({ excludeTypes: ["*.rbac.authorization.k8s.io", "configmaps"] }), ["web", "old"]);
  });

  it("filters by label selector", () => {
    assert.deepEqual(names({ labelSelector: "app=web" }), ["web", "cfg"]);
    assert.deepEqual(names({ labelSelector: "tier in (front),app" }), ["web"]);
    assert.deepEqual(names({ labelSelector: "!app" }), ["old", "admin"]);
    assert.deepEqual(names({ labelSelector: "app notin (web)" }), ["old", "admin"]);
  });

  it("filters by change type", () => {
    assert.deepEqual(names({ ops: ["create", "delete"] }), ["cfg", "old"]);
    assert.deepEqual(names({ excludeOps: ["update"] }), ["cfg", "old"]);
  });

  it("filters by author, e.g. to ignore routine controller updates", () => {
    const byController = commit({
      author: { name: "kube-controller-manager", email: "kcm@shiplog.local", source: "field-manager" },
    });
    assert.equal(
      createRouter({ excludeAuthors: ["kube-controller-manager"] }).route(byController),
      undefined,
    );
    assert.equal(createRouter({ excludeAuthors: ["*controller*"] }).route(byController), undefined);
    assert.ok(createRouter({ excludeAuthors: ["helm"] }).route(byController));
    assert.ok(createRouter({ authors: ["kcm@shiplog.local"] }).route(byController), "matches the email too");
    assert.equal(createRouter({ authors: ["kubectl-*"] }).route(byController), undefined);
  });

  it("combines rules: all includes must hold and no exclude may", () => {
    assert.deepEqual(
      names({ namespaces: ["prod", "dev"], types: ["deployments.apps"], excludeOps: ["delete"] }),
      ["web"],
    );
    assert.equal(names({ namespaces: ["prod"], ops: ["delete"] }), undefined, "nothing left: not sent");
  });
});
