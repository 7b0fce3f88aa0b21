import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseTarget, typeMatches } from "./resolve-path.js";
import { CliError } from "../cli-error.js";

describe("typeMatches", () => {
  const cases: Array<[string, string, boolean]> = [
    ["deployments.apps", "deployments.apps", true],
    ["deployments.apps", "deployments", true],
    ["deployments.apps", "deployment", true],
    ["deployments.apps", "Deployment", true],
    ["deployments.apps", "deploy", true],
    ["deployments.apps", "deployments.app", false],
    ["deployments.apps", "deployments.batch", false],
    ["configmaps", "cm", true],
    ["configmaps", "configmap", true],
    ["networkpolicies.networking.k8s.io", "networkpolicy", true],
    ["networkpolicies.networking.k8s.io", "netpol", true],
    ["ingresses.networking.k8s.io", "ingress", true],
    ["widgets.example.com", "widget", true],
    ["widgets.example.com", "widgets.example", true],
    ["secrets", "configmaps", false],
    ["services", "svc", true],
    ["serviceaccounts", "svc", false],
  ];
  for (const [id, wanted, expected] of cases) {
    it(`${wanted} ${expected ? "matches" : "does not match"} ${id}`, () => {
      assert.equal(typeMatches(id, wanted), expected);
    });
  }
});

describe("parseTarget", () => {
  it("splits type and name at the first slash", () => {
    assert.deepEqual(parseTarget("deploy/web"), { type: "deploy", name: "web" });
    assert.deepEqual(parseTarget("clusterroles.rbac.authorization.k8s.io/system:controller:x"), {
      type: "clusterroles.rbac.authorization.k8s.io",
      name: "system:controller:x",
    });
  });
  it("rejects input without a type or a name", () => {
    for (const bad of ["web", "/web", "deploy/"]) assert.throws(() => parseTarget(bad), CliError);
  });
});
