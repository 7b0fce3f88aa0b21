import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { CLUSTER_DIR, decodeSegment, encodeSegment, parsePath, pathForKey, typeDirOf } from "./paths.js";

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$/i;

/** Names as Kubernetes produces them plus everything that could go wrong on a file system. */
const nameArb = fc.oneof(
  fc.stringMatching(/^[a-z0-9]([-a-z0-9.]{0,40}[a-z0-9])?$/),
  fc.constantFrom(
    "system:controller:job-controller",
    "system:kube-scheduler",
    "MyWidget",
    "mywidget",
    "MYWIDGET",
    "CON",
    "con",
    "nul.txt",
    "com1",
    "LPT9.yaml",
    "trailing.",
    "trailing..",
    ".",
    "..",
    "...",
    ".hidden",
    "a/b",
    "../../etc/passwd",
    "back\\slash",
    "_cluster",
    "%41",
    "%2e",
    "white space",
    "tab\there",
    "ü",
    "u\u0308",
    "日本語",
    "emoji-😀",
    "x".repeat(253),
  ),
  fc.string({ minLength: 1, maxLength: 30, unit: "grapheme" }),
  fc.string({ minLength: 1, maxLength: 30, unit: "binary" }),
);
const nsArb = fc.oneof(fc.constant(""), fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?$/), nameArb);
const groupArb = fc.constantFrom(
  "",
  "apps",
  "rbac.authorization.k8s.io",
  "example.com",
  "Example.COM",
  "x:y",
);
const resourceArb = fc.oneof(
  fc.constantFrom("deployments", "configmaps", "clusterroles", "Widgets", "con"),
  nameArb,
);
const keyArb = fc.record({ group: groupArb, resource: resourceArb, namespace: nsArb, name: nameArb });

function typeIdOf(k: { group: string; resource: string }): string {
  return k.group === "" ? k.resource : `${k.resource}.${k.group}`;
}

describe("paths", () => {
  it("reads like kubectl for ordinary names", () => {
    assert.equal(
      pathForKey({ group: "apps", resource: "deployments", namespace: "default", name: "web" }),
      "default/deployments.apps/web.yaml",
    );
    assert.equal(
      pathForKey({
        group: "rbac.authorization.k8s.io",
        resource: "clusterroles",
        namespace: "",
        name: "admin",
      }),
      "_cluster/clusterroles.rbac.authorization.k8s.io/admin.yaml",
    );
    assert.equal(
      pathForKey({ group: "", resource: "configmaps", namespace: "default", name: "app" }),
      "default/configmaps/app.yaml",
    );
    assert.equal(typeDirOf("default", "deployments.apps"), "default/deployments.apps");
    assert.equal(typeDirOf("", "nodes"), `${CLUSTER_DIR}/nodes`);
  });

  it("escapes colons, capitals, reserved device names and trailing dots", () => {
    const p = (name: string) => pathForKey({ group: "", resource: "things", namespace: "", name });
    assert.equal(
      p("system:controller:job-controller"),
      "_cluster/things/system%3Acontroller%3Ajob-controller.yaml",
    );
    assert.equal(p("MyWidget"), "_cluster/things/%4Dy%57idget.yaml");
    assert.equal(p("con"), "_cluster/things/%63on.yaml");
    assert.equal(p("nul.txt"), "_cluster/things/%6Eul.txt.yaml");
    assert.equal(p("a."), "_cluster/things/a%2E.yaml");
    assert.equal(p(".."), "_cluster/things/%2E%2E.yaml");
    assert.equal(p("a/b"), "_cluster/things/a%2Fb.yaml");
  });

  it("round-trips every key (reversible)", () => {
    fc.assert(
      fc.property(keyArb, (k) => {
        const parsed = parsePath(pathForKey(k));
        assert.deepEqual(parsed, { namespace: k.namespace, type: typeIdOf(k), name: k.name });
      }),
      { numRuns: 1000 },
    );
  });

  it("is collision-free, also when the file system folds case", () => {
    fc.assert(
      fc.property(keyArb, keyArb, (a, b) => {
        const same = a.namespace === b.namespace && typeIdOf(a) === typeIdOf(b) && a.name === b.name;
        const pa = pathForKey(a);
        const pb = pathForKey(b);
        assert.equal(pa === pb, same);
        assert.equal(pa.toLowerCase() === pb.toLowerCase(), same, `${pa} vs ${pb}`);
      }),
      { numRuns: 1000 },
    );
    // Targeted pairs that differ only in case.
    for (const [x, y] of [
      ["MyWidget", "mywidget"],
      ["A", "a"],
      ["%41", "A"],
    ] as const) {
      const px = pathForKey({ group: "", resource: "w", namespace: "", name: x });
      const py = pathForKey({ group: "", resource: "w", namespace: "", name: y });
      assert.notEqual(px.toLowerCase(), py.toLowerCase());
    }
  });

  it("is traversal-safe and portable", () => {
    fc.assert(
      fc.property(keyArb, (k) => {
        const path = pathForKey(k);
        const segs = path.split("/");
        assert.equal(segs.length, 3);
        for (const s of segs) {
          assert.ok(s !== "" && s !== "." && s !== "..", `bad segment ${s}`);
          assert.match(s, /^[a-z0-9._%A-F-]+$/, `non-portable character in ${s}`);
          assert.ok(!s.endsWith(".") && !s.endsWith(" "), `trailing dot/space in ${s}`);
          assert.ok(!s.startsWith("."), `hidden segment ${s}`);
          assert.ok(!WINDOWS_RESERVED.test(s), `reserved name ${s}`);
        }
        // Upper-case letters appear only as hex digits of an escape.
        assert.ok(!/(^|[^%])[A-F](?![0-9A-F])/.test(path.replace(/%[0-9A-F]{2}/g, "")), path);
        assert.equal(segs[0] === CLUSTER_DIR, k.namespace === "");
      }),
      { numRuns: 1000 },
    );
  });

  it("rejects paths it does not produce", () => {
    for (const p of [
      "default/configmaps/app.yml",
      "default/configmaps/App.yaml",
      "default/configmaps/%2e.yaml",
      "default/configmaps/%4d.yaml",
      "default/configmaps/con.yaml",
      "default/configmaps/a.yaml/x",
      "../configmaps/a.yaml",
      "_other/configmaps/a.yaml",
      "README.md",
      "default/configmaps/.yaml",
      "default/configmaps/%ZZ.yaml",
      "default/configmaps/%C3.yaml",
    ]) {
      assert.equal(parsePath(p), undefined, p);
    }
    assert.equal(decodeSegment(""), undefined);
    assert.throws(() => encodeSegment(""), RangeError);
  });
});
