import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseConfig } from "@shiplog/core";
import { resumeScope } from "./resume-scope.js";

const key = Buffer.from("resume-scope-test-fingerprint-key-0123");
const scopeOf = (raw: object, k: Buffer | undefined = key): string => {
  const c = parseConfig(raw);
  return resumeScope(c, { include: c.watch.include, exclude: c.watch.exclude }, k);
};

describe("resumeScope", () => {
  it("is the same for the same settings, so a plain restart resumes", () => {
    assert.equal(scopeOf({}), scopeOf({}));
    assert.equal(
      scopeOf({ committer: { quietPeriod: "1s" } }),
      scopeOf({}),
      "committer settings do not matter",
    );
  });

  it("changes with anything that decides what is recorded or how", () => {
    const base = scopeOf({});
    for (const raw of [
      { watch: { include: { namespaces: ["a"] } } },
      { watch: { exclude: { resources: ["configmaps"] } } },
      { watch: { labelSelector: "app=x" } },
      { normalize: { skipControllerOwned: false } },
      { secrets: { mode: "omit" } },
    ])
      assert.notEqual(scopeOf(raw), base, JSON.stringify(raw));
    assert.notEqual(scopeOf({}, Buffer.from("another-fingerprint-key-of-32-bytes!!")), base, "another key");
  });

  it("says nothing about the fingerprint key", () => {
    const s = scopeOf({});
    assert.match(s, /^[0-9a-f]{32}$/);
    assert.ok(!s.includes(key.toString("hex").slice(0, 8)));
  });
});
