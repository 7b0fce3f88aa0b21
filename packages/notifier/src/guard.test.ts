import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { SECRET_MODE_NAMES, SecretModeRegistry } from "@shiplog/core";
import { guardCommit, guardSecretDiff, guardSecretSummary, WITHHELD } from "./guard.js";
import { change, commit } from "./testkit/commits.test.helper.js";
import { forms, MARKER_MODES, secretRotationCommit } from "./testkit/core-commits.test.helper.js";

const FP = "shiplog:hmac-sha256:0123456789abcdef0123456789abcdef";

describe("secret guard", () => {
  it("keeps fingerprints, key names and metadata, and withholds any other value of a Secret", () => {
    const diff = [
      "--- a/prod/secrets/db.yaml",
      "+++ b/prod/secrets/db.yaml",
      "@@ -1,12 +1,14 @@ data:",
      " apiVersion: v1",
      " kind: Secret",
      " metadata:",
      "   name: db",
      "   labels:",
      "     app: db",
      "   annotations:",
      "     note: hunter2-in-annotation",
      " data:",
      `-  password: ${FP}`,
      "+  password: hunter2-plain",
      "+  token: 'hunter3-quoted'",
      " stringData:",
      "   config.yaml: |",
      "+    password: hunter4-block",
      "+    host: db",
      " type: Opaque",
      "… 3 more lines",
    ].join("\n");
    const { diff: out, withheld } = guardSecretDiff(diff);
    for (const leaked of ["hunter2", "hunter3", "hunter4"])
      assert.ok(!out.includes(leaked), `${leaked} leaked:\n${out}`);
    assert.equal(withheld, 6);
    assert.ok(out.includes(`-  password: ${FP}`), "fingerprint kept");
    assert.ok(out.includes(`+  password: ${WITHHELD}`), "key name kept");
    assert.ok(out.includes("   name: db") && out.includes("     app: db") && out.includes(" type: Opaque"));
    assert.ok(out.includes("@@ -1,12 +1,14 @@\n"), "hunk header text after @@ dropped");
    assert.ok(out.includes("… 3 more lines"));
  });

  it("trusts a section named by core's diff: labels shown, data still withheld", () => {
    const labels = guardSecretDiff(
      [
        "@@ -8,6 +8,6 @@ metadata.labels",
        "     c: three",
        "-    app: x",
        "+    app: y",
        " data:",
        "+  pw: hunter5",
      ].join("\n"),
    );
    assert.equal(labels.withheld, 1, labels.diff);
    assert.ok(labels.diff.startsWith("@@ -8,6 +8,6 @@ metadata.labels\n"), labels.diff);
    assert.ok(labels.diff.includes("+    app: y") && !labels.diff.includes("hunter5"), labels.diff);
    // An indented key under a section that is not metadata's labels is guarded as before.
    for (const header of [
      "@@ -1 +1 @@ data",
      "@@ -1 +1 @@ metadata",
      "@@ -1 +1 @@ metadata.ownerReferences x",
    ]) {
      const out = guardSecretDiff(`${header}\n+    app: hunter6\n+  password: hunter7`);
      assert.ok(!out.diff.includes("hunter6") && !out.diff.includes("hunter7"), out.diff);
    }
  });

  it("guards summaries in core's format", () => {
    const s =
      "data.password hmac:1a2b3c4d→hunter2; +data.token=hunter3; +data.ok=hmac:99aa88bb; -data.old; metadata.labels.app a→b; weird; (+2 more)";
    const { summary, withheld } = guardSecretSummary(s);
    assert.ok(!summary.includes("hunter"), summary);
    assert.equal(withheld, 3);
    assert.equal(
      summary,
      `data.password changed (${WITHHELD}); +data.token=${WITHHELD}; +data.ok=hmac:99aa88bb; -data.old; metadata.labels.app a→b; ${WITHHELD}; (+2 more)`,
    );
  });

  it("leaves non-Secret changes alone and returns the same commit when nothing is withheld", () => {
    const c = commit({ changes: [change({ summary: "data.password a→b" })] });
    assert.equal(guardCommit(c).commit, c);
  });

  it("withholds random values planted anywhere in a Secret diff (property)", () => {
    const value = fc.stringMatching(/^[A-Za-z0-9+/]{12,40}$/);
    const line = fc.tuple(
      fc.constantFrom(" ", "+", "-"),
      fc.constantFrom("  ", "    ", ""),
      fc.constantFrom("password", "token", "config.yaml", "a.b"),
      value,
    );
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 20 }), (lines) => {
        const diff = [
          "@@ -1,3 +1,3 @@",
          " data:",
          ...lines.map(([p, ind, k, v]) => `${p}${ind}${k}: ${v}`),
          ...lines.map(([p, , , v]) => `${p}    ${v}`),
        ].join("\n");
        const out = guardCommit(
          commit({
            changes: [
              change({
                kind: "Secret",
                type: "secrets",
                diff,
                summary: lines.map(([, , k, v]) => `data.${k} x→${v}`).join("; "),
              }),
            ],
          }),
        );
        const text = JSON.stringify(out.commit);
        return lines.every(([, , , v]) => !text.includes(v));
      }),
      { numRuns: 300 },
    );
  });

  it("recognises the marker of every secret mode in core's registry, quoted or not", () => {
    for (const mode of SECRET_MODE_NAMES) {
      const marker = SecretModeRegistry[mode].marker;
      if (marker === undefined) continue;
      const value = marker.endsWith(":") ? `${marker}${"0123456789abcdef".repeat(2)}` : marker;
      const { diff, withheld } = guardSecretDiff(`@@ -1 +1 @@\n data:\n+  a: ${value}\n+  b: '${value}'`);
      assert.equal(withheld, 0, `${mode}: ${diff}`);
    }
    assert.equal(
      guardSecretDiff("+  a: shiplog:hmac-sha256:not-hex").withheld,
      1,
      "a fingerprint needs its digest",
    );
  });

  for (const mode of MARKER_MODES) {
    it(`keeps every fingerprint of real core output (${mode} mode) and leaks nothing`, () => {
      const { commit: c, values } = secretRotationCommit(mode);
      const out = guardCommit(c);
      const text = JSON.stringify(out.commit);
      for (const v of values)
        for (const f of forms(v)) assert.ok(!text.includes(f), `value leaked in ${mode} mode`);
      const marks = (t: string): number =>
        (t.match(/shiplog:(hmac-sha256:[0-9a-f]+|omitted)|hmac:[0-9a-f]{8}/g) ?? []).length;
      assert.ok(marks(JSON.stringify(c)) > 5);
      assert.equal(marks(text), marks(JSON.stringify(c)), "no fingerprint was withheld");
      // core's diff names the section every hunk starts in, so no metadata value is withheld.
      assert.equal(out.withheld, 0, `withheld ${out.withheld}`);
    });
  }
});
