import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { diffView, sameContent, summarizeChange, unifiedDiff, yamlSection } from "./summary.js";
import { toYaml } from "./canonical-yaml.js";

function dep(replicas: number, image: string, extra: Record<string, unknown> = {}): string {
  return toYaml({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default", labels: { app: "web" } },
    spec: {
      replicas,
      template: {
        spec: {
          containers: [
            { name: "web", image },
            { name: "sidecar", image: "envoy:1" },
          ],
        },
      },
      ...extra,
    },
  });
}

describe("summarizeChange", () => {
  it("summarises field changes like spec.replicas 2→3; containers[web].image a→b", () => {
    const s = summarizeChange(dep(2, "nginx:1.25"), dep(3, "nginx:1.27"));
    assert.equal(s.op, "update");
    assert.equal(s.summary, "spec.replicas 2→3; containers[web].image nginx:1.25→nginx:1.27");
    assert.deepEqual(s.patch, [
      { op: "replace", path: "/spec/replicas", value: 3 },
      { op: "replace", path: "/spec/template/spec/containers/0/image", value: "nginx:1.27" },
    ]);
  });

  it("reports additions and removals, creates and deletes", () => {
    const s = summarizeChange(dep(2, "a", { paused: true }), dep(2, "a", { minReadySeconds: 5 }));
    assert.equal(s.summary, "+spec.minReadySeconds=5; -spec.paused");
    const created = summarizeChange(undefined, dep(1, "a"));
    assert.equal(created.op, "create");
    assert.equal(created.summary, "created");
    assert.ok(created.patch.length > 0);
    const deleted = summarizeChange(dep(1, "a"), undefined);
    assert.equal(deleted.op, "delete");
    assert.equal(deleted.summary, "deleted");
    assert.equal(summarizeChange(dep(1, "a"), dep(1, "a")).summary, "no field changes");
  });

  it("stays bounded for large changes and long values", () => {
    const big: Record<string, string> = {};
    for (let i = 0; i < 100; i++) big[`k${i}`] = "v".repeat(500) + String(i);
    const s = summarizeChange(toYaml({ data: {} }), toYaml({ data: big }));
    assert.ok(s.summary.length <= 400, `${s.summary.length}`);
    assert.match(s.summary, /\(\+\d+ more\)$/);
    assert.equal(s.patch.length, 100);
    const multi = summarizeChange(toYaml({ data: { a: "x\ny\n" } }), toYaml({ data: { a: "x\nz\n" } }));
    assert.equal(multi.summary, "data.a x…→x…");
  });

  it("shows fingerprints short, never the raw value", () => {
    const fp1 = "shiplog:hmac-sha256:0123456789abcdef0123456789abcdef";
    const fp2 = "shiplog:hmac-sha256:fedcba9876543210fedcba9876543210";
    const s = summarizeChange(toYaml({ data: { password: fp1 } }), toYaml({ data: { password: fp2 } }));
    assert.equal(s.summary, "data.password hmac:01234567→hmac:fedcba98");
  });
});

describe("unifiedDiff", () => {
  it("writes a/ b/ headers with context and truncates long output", () => {
    const d = unifiedDiff(dep(2, "a"), dep(3, "a"), "default/deployments.apps/web.yaml", { context: 1 });
    assert.equal(
      d,
      [
        "--- a/default/deployments.apps/web.yaml",
        "+++ b/default/deployments.apps/web.yaml",
        "@@ -8,3 +8,3 @@",
        " spec:",
        "-  replicas: 2",
        "+  replicas: 3",
        "   template:",
        "",
      ].join("\n"),
    );
    const lines = Array.from({ length: 500 }, (_, i) => `line ${i}`);
    const long = unifiedDiff("", lines.join("\n") + "\n", "x.yaml", { maxLines: 50 });
    assert.equal(long.split("\n").length, 52);
    assert.match(long, /… \d+ more lines\n$/);
  });
});

describe("unifiedDiff sections", () => {
  const manifest = (app: string, pw: string): string =>
    [
      "apiVersion: v1",
      "kind: Secret",
      "metadata:",
      "  name: db",
      "  namespace: prod",
      "  labels:",
      "    a: one",
      "    b: two",
      "    c: three",
      "    d: four",
      `    app: ${app}`,
      "data:",
      "  k1: djE=",
      "  k2: djI=",
      "  k3: djM=",
      "  k4: djQ=",
      `  password: ${pw}`,
      "type: Opaque",
      "",
    ].join("\n");

  it("names the section a hunk starts in, after the second @@ as git's function context does", () => {
    const label = unifiedDiff(manifest("x", "cA=="), manifest("y", "cA=="), "prod/secrets/db.yaml");
    assert.match(label, /^@@ -8,\d+ \+8,\d+ @@ metadata\.labels$/m);
    const data = unifiedDiff(manifest("x", "cA=="), manifest("x", "cB=="), "prod/secrets/db.yaml");
    assert.match(data, /^@@ -14,\d+ \+14,\d+ @@ data$/m);
  });

  it("names nothing for a hunk that starts at a top-level key or in an unknown place", () => {
    assert.equal(yamlSection(["a: 1", "b:", "  c: 2"], 0), "");
    assert.equal(yamlSection(["a: 1", "b:", "  c: 2"], 1), "");
    assert.equal(yamlSection(["a: 1", "b:", "  c: 2"], 2), "b");
    assert.equal(yamlSection(["  orphan: 1", "    deeper: 2"], 1), "");
    assert.equal(yamlSection(["m:", "  l:", "    - x", "    - y"], 3), "m.l");
  });
});

describe("diffView / sameContent", () => {
  it("leaves non-sops text alone and compares it by text", () => {
    const t = dep(1, "a");
    assert.equal(diffView(t), t);
    assert.ok(sameContent(t, t));
    assert.ok(!sameContent(t, dep(2, "a")));
  });

  it("masks encrypted values it has no fingerprint for", () => {
    const text =
      toYaml({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "s" },
        data: { a: "ENC[AES256_GCM,data:abc=,iv:def=,tag:ghi=,type:str]" },
      }) + toYaml({ sops: { mac: "ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]", version: "3.13.3" } });
    assert.equal(
      diffView(text),
      toYaml({ apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, data: { a: "shiplog:encrypted" } }),
    );
  });
});
