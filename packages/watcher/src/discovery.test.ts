// Discovery parsing on documents captured from a real kube-apiserver v1.36.3 (src/testdata): the
// aggregated (apidiscovery.k8s.io/v2) and legacy forms must give the same types.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { typeId } from "@shiplog/core";
import { parseAggregatedDiscovery, parseApiResourceList } from "./discovery.js";

function doc(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`../src/testdata/${name}.json`, import.meta.url), "utf8"));
}

describe("discovery parsing", () => {
  const aggregated = [
    ...parseAggregatedDiscovery(doc("aggregated-api")),
    ...parseAggregatedDiscovery(doc("aggregated-apis")),
  ];
  const byId = new Map(aggregated.map((t) => [typeId(t), t]));

  it("keeps only list+watch resources, no subresources, one version each", () => {
    assert.equal(byId.size, aggregated.length, "one entry per group/resource");
    assert.ok(
      byId.has("configmaps") &&
        byId.has("deployments.apps") &&
        byId.has("customresourcedefinitions.apiextensions.k8s.io"),
    );
    for (const id of [
      "bindings",
      "componentstatuses",
      "tokenreviews.authentication.k8s.io",
      "selfsubjectaccessreviews.authorization.k8s.io",
    ]) {
      assert.equal(byId.has(id), false, `${id} cannot be listed and watched`);
    }
    assert.ok(aggregated.every((t) => !t.resource.includes("/")));
  });

  it("uses the preferred version and the server's kind and scope", () => {
    assert.equal(byId.get("horizontalpodautoscalers.autoscaling")?.version, "v2");
    assert.deepEqual(byId.get("deployments.apps"), {
      group: "apps",
      version: "v1",
      resource: "deployments",
      kind: "Deployment",
      namespaced: true,
    });
    assert.equal(byId.get("namespaces")?.namespaced, false);
    assert.equal(byId.get("configmaps")?.group, "");
  });

  it("agrees with legacy discovery for the groups captured in both forms", () => {
    const legacy = [
      ...parseApiResourceList("", "v1", doc("legacy-api-v1")),
      ...parseApiResourceList("apps", "v1", doc("legacy-apis-apps-v1")),
      ...parseApiResourceList("autoscaling", "v2", doc("legacy-apis-autoscaling-v2")),
    ];
    for (const t of legacy) assert.deepEqual(byId.get(typeId(t)), t, typeId(t));
    const groups = new Set(["", "apps", "autoscaling"]);
    assert.equal(aggregated.filter((t) => groups.has(t.group)).length, legacy.length);
  });

  it("skips stale group versions and reports them", () => {
    const failed: { groupVersion: string; reason: string }[] = [];
    const stale = {
      kind: "APIGroupDiscoveryList",
      items: [
        {
          metadata: { name: "metrics.example.com" },
          versions: [
            {
              version: "v1",
              freshness: "Stale",
              resources: [
                {
                  resource: "things",
                  responseKind: { kind: "Thing" },
                  scope: "Cluster",
                  verbs: ["list", "watch"],
                },
              ],
            },
          ],
        },
      ],
    };
    assert.deepEqual(parseAggregatedDiscovery(stale, failed), []);
    assert.deepEqual(failed, [
      { groupVersion: "metrics.example.com/v1", reason: "stale in aggregated discovery" },
    ]);
  });

  it("rejects a document that is not a discovery list, naming it", () => {
    assert.throws(() => parseAggregatedDiscovery({ kind: "Status" }), /APIGroupDiscoveryList/);
    assert.throws(() => parseApiResourceList("apps", "v1", {}), /apps\/v1/);
  });
});
