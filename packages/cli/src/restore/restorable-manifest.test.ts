import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { toYaml } from "@shiplog/core";
import { parse, parseAllDocuments, stringify } from "yaml";
import { manifestStream, restorableManifest } from "./restorable-manifest.js";
import { SERVER_POPULATED_METADATA } from "./server-fields.js";

/** Strings that YAML 1.1 readers (kubectl, sigs.k8s.io/yaml, go-yaml v2) take for something else. */
const TRICKY_STRINGS = [
  "yes",
  "Yes",
  "YES",
  "on",
  "On",
  "no",
  "off",
  "OFF",
  "y",
  "Y",
  "n",
  "N",
  "true",
  "False",
  "~",
  "null",
  "Null",
  "",
  "2024-01-01",
  "2001-12-14t21:59:43.10-05:00",
  "0x1F",
  "1e3",
  "012",
  "0o17",
  "0b101",
  ".5",
  "1_000",
  "1:20",
  "190:20:30",
  "+1",
  "-1",
  ".inf",
  "-.Inf",
  ".nan",
  "<<",
  "=",
  ":",
  ":x",
  "- a",
  "? a",
  "a: b",
  "a #b",
  "#x",
  "!x",
  "&x",
  "*x",
  "@x",
  "`x",
  "%x",
  "|x",
  ">x",
  "[x]",
  "{x}",
  "'x'",
  '"x"',
  " lead",
  "trail ",
];

const noIdentity = () => {
  throw new Error("no identity expected");
};

function configMap(data: Record<string, string>): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "x", namespace: "team-a" },
    data,
    binaryData: { blob: Buffer.from([0, 1, 2, 0xfe, 0xff, 10, 13]).toString("base64") },
  };
}

describe("manifestStream (what restore prints)", () => {
  it("quotes every tricky string so that a YAML 1.1 reader gets the same strings back", () => {
    const data: Record<string, string> = {};
    TRICKY_STRINGS.forEach((s, i) => (data[`v${i}`] = s));
    // The same strings as keys: `data: {yes: ...}` must not become `map[true:...]` either.
    for (const s of TRICKY_STRINGS) if (s !== "") data[s] = s;
    data["multi"] = "line one\n  indented: yes\n\nlast\n";
    data["noTrailingNewline"] = "a\nb";
    data["crlf"] = "a\r\nb";
    const obj = configMap(data);
    const text = manifestStream([obj]);
    for (const version of ["1.1", "1.2"] as const) {
      assert.deepEqual(parse(text, { version }), obj, `YAML ${version}:\n${text}`);
    }
    // The `yaml` library's default stringify, which restore used before, leaves them bare (issue 12).
    const issue = configMap({ a: "yes", b: "on", c: "2024-01-01" });
    const misread = parse(stringify(issue, { lineWidth: 0 }), { version: "1.1" }) as { data: unknown };
    assert.deepEqual(misread.data, {
      a: true,
      b: true,
      c: new Date("2024-01-01T00:00:00Z"),
    });
    assert.deepEqual(parse(manifestStream([issue]), { version: "1.1" }), issue);
  });

  it("writes several manifests as one stream of documents, in order", () => {
    const a = configMap({ a: "yes" });
    const b = { ...configMap({ b: "on" }), metadata: { name: "y", namespace: "team-a" } };
    const text = manifestStream([a, b]);
    const docs = parseAllDocuments(text, { version: "1.1" });
    assert.ok(Array.isArray(docs));
    assert.deepEqual(
      docs.map((d) => d.toJSON() as unknown),
      [a, b],
    );
    assert.equal(text, `${toYaml(a)}---\n${toYaml(b)}`);
  });
});

describe("restorableManifest", () => {
  it("drops the metadata the apiserver sets, keeps the rest", async () => {
    const recorded = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "x",
        namespace: "team-a",
        uid: "0b5c1a8e-0000-4000-8000-000000000001",
        resourceVersion: "4711",
        creationTimestamp: "2024-01-01T00:00:00Z",
        generation: 3,
        managedFields: [{ manager: "kubectl", operation: "Apply" }],
        selfLink: "/api/v1/namespaces/team-a/configmaps/x",
        deletionTimestamp: "2024-02-01T00:00:00Z",
        deletionGracePeriodSeconds: 0,
        labels: { app: "x" },
        annotations: { note: "kept" },
        finalizers: ["example.com/keep"],
      },
      data: { a: "yes" },
    };
    const r = await restorableManifest(toYaml(recorded), "configmap/x", "x.yaml at main", noIdentity);
    assert.ok(r.restorable);
    const meta = r.manifest.metadata as Record<string, unknown>;
    for (const f of SERVER_POPULATED_METADATA) assert.equal(Object.hasOwn(meta, f), false, f);
    assert.deepEqual(meta, {
      name: "x",
      namespace: "team-a",
      labels: { app: "x" },
      annotations: { note: "kept" },
      finalizers: ["example.com/keep"],
    });
    assert.deepEqual((r.manifest as unknown as { data: unknown }).data, { a: "yes" });
  });

  it("calls invalid YAML and a non-object a failure naming the file", async () => {
    await assert.rejects(
      restorableManifest("a: [", "cm/x", "f.yaml at main", noIdentity),
      /f\.yaml at main is not valid YAML/,
    );
    await assert.rejects(
      restorableManifest("- 1\n", "cm/x", "f.yaml at main", noIdentity),
      /not a Kubernetes object/,
    );
  });
});
