import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { matchesSelector, parseLabelSelector } from "./label-selector.js";

const m = (sel: string, labels: Record<string, string>): boolean =>
  matchesSelector(parseLabelSelector(sel), labels);

describe("label selectors", () => {
  it("supports equality, inequality, set-based and existence requirements", () => {
    const labels = { app: "web", env: "prod", "app.kubernetes.io/managed-by": "Helm" };
    assert.equal(m("", labels), true);
    assert.equal(m("app=web", labels), true);
    assert.equal(m("app==web", labels), true);
    assert.equal(m("app=api", labels), false);
    assert.equal(m("app!=api", labels), true);
    assert.equal(m("tier!=db", labels), true, "!= holds when the label is absent");
    assert.equal(m("env in (prod, stage)", labels), true);
    assert.equal(m("env in (dev)", labels), false);
    assert.equal(m("tier in (db)", labels), false);
    assert.equal(m("env notin (dev,stage)", labels), true);
    assert.equal(m("tier notin (db)", labels), true);
    assert.equal(m("app.kubernetes.io/managed-by", labels), true);
    assert.equal(m("!app.kubernetes.io/managed-by", labels), false);
    assert.equal(m("!legacy", labels), true);
    assert.equal(m("app=web,env in (prod),!legacy", labels), true);
    assert.equal(m("app=web,env in (dev)", labels), false);
  });

  it("rejects malformed selectors with the bad requirement named", () => {
    assert.throws(() => parseLabelSelector("app in (a,b"), /unbalanced/);
    assert.throws(() => parseLabelSelector("app=web,,env=prod"), /empty requirement/);
    assert.throws(() => parseLabelSelector("bad key=x"), /invalid label key "bad key"|invalid/);
    assert.throws(() => parseLabelSelector("app=we b"), /invalid/);
    assert.throws(() => parseLabelSelector("app in ()"), /empty value set|invalid/);
  });
});
