import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { parse as parseYaml } from "yaml";
import { fromYaml, parseFull, toYaml } from "./canonical-yaml.js";
import { NOT_CANONICAL, readCanonicalYaml } from "./canonical-yaml-read.js";

const tricky = fc.constantFrom(
  "0123",
  "yes",
  "Yes",
  "no",
  "on",
  "off",
  "y",
  "n",
  "true",
  "False",
  "null",
  "Null",
  "~",
  "1e3",
  "E0",
  "e5",
  "1_000",
  "0x1F",
  "0o17",
  "+1",
  "-1",
  ".5",
  ".inf",
  ".NaN",
  "2024-01-01",
  "2024-01-01T00:00:00Z",
  "1:20",
  "=",
  "<<",
  "-",
  "- a",
  "? x",
  ": x",
  "a: b",
  "a #b",
  "#c",
  "&a",
  "*a",
  "!tag",
  "%x",
  "@x",
  "`x",
  "|",
  ">",
  "'",
  '"',
  "[a]",
  "{a: 1}",
  "",
  " ",
  " lead",
  "trail ",
  "trail:",
  "a\tb",
  "\t",
  "line\n",
  "\n",
  "\n\n",
  "a\n\n",
  "\nlead",
  "  indented\nnext",
  " \n x",
  "a\r\nb",
  "\r",
  "tail spaces  \nnext",
  "a\n  \nb",
  // fast-check found these (seed -312259912): a last line of only spaces was dropped by the parser.
  "  indented\nnext\n ",
  "a\n  ",
  "a\n\t",
  "a\n \n",
  "   \n",
  "\u0000\u0007\u001b",
  "\u007f\u0085\u00a0",
  "\u2028\u2029",
  "\ufeffbom",
  "\ud800",
  "x\udfff",
  "😀 ok",
  "multi\n😀\nline",
  "--- doc",
  "...",
  "a\n---\nb",
  "a\n...\nb",
);

const str = fc.oneof(
  { weight: 4, arbitrary: fc.string() },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme" }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary" }) },
  { weight: 3, arbitrary: tricky },
  {
    weight: 1,
    arbitrary: fc.array(fc.oneof(fc.string(), tricky), { maxLength: 6 }).map((a) => a.join("\n")),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString("base64")) },
);
const num = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? 0 : d)),
);
const key = fc.oneof(
  fc.string(),
  tricky,
  fc.constantFrom("apiVersion", "kind", "metadata", "name", "namespace", "data"),
);

const { value: jsonValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    str,
    num,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(key, tie("value"), { maxKeys: 6, noNullPrototype: true }),
  ),
}));

function roundTrip(v: unknown): void {
  const text = toYaml(v);
  assert.deepStrictEqual(fromYaml(text), v, text);
  // The fast reader takes every text toYaml writes, and reads what the full library reads.
  const fast = readCanonicalYaml(text);
  if (!JSON.stringify(v).includes('"__proto__"')) assert.notEqual(fast, NOT_CANONICAL, text);
  if (fast !== NOT_CANONICAL && toYaml(fast) === text) assert.deepStrictEqual(fast, parseFull(text), text);
  // Same data under YAML 1.1 rules (older Go readers): the quoting is conservative enough for both.
  assert.deepStrictEqual(parseYaml(text, { version: "1.1" }), v, text);
}

describe("toYaml / fromYaml", () => {
  it("round-trips fuzzed JSON-shaped data (unicode, look-alike scalars, multi-line strings)", () => {
    fc.assert(fc.property(jsonValue, roundTrip), { numRuns: 800 });
  });

  it("round-trips every tricky scalar as a value, key and list item", () => {
    fc.assert(
      fc.property(tricky, (s) => {
        roundTrip({ k: s });
        roundTrip({ [s]: 1 });
        roundTrip([s, { a: [s] }]);
        roundTrip(s);
      }),
    );
  });

  it("round-trips a ConfigMap with binaryData, very long lines and 1.5 MB of data", () => {
    const bin = Buffer.alloc(256 * 1024);
    for (let i = 0; i < bin.length; i++) bin[i] = (i * 7919) & 255;
    const longLine = "x".repeat(200_000);
    const big = Array.from({ length: 20_000 }, (_, i) => `line ${i}: value=${i * 31} ünïcødé 😀`).join("\n");
    const cm = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "big", namespace: "default" },
      binaryData: { "blob.bin": bin.toString("base64") },
      data: { long: longLine, "big.txt": big + "\n", "app.properties": "a=1\nb=2\n" },
    };
    const text = toYaml(cm);
    assert.ok(text.length > 1_000_000, `only ${text.length} bytes`);
    roundTrip(cm);
    // No folding: the 200k line is one line.
    assert.ok(text.split("\n").some((l) => l.endsWith(longLine)));
  });

  it("writes a fixed key order: apiVersion, kind, metadata (name, namespace first), then sorted", () => {
    const a = toYaml({
      spec: { b: 1, a: 2 },
      metadata: { labels: { z: "1", a: "2" }, namespace: "ns", name: "web" },
      kind: "K",
      apiVersion: "v1",
      data: {},
    });
    const b = toYaml({
      data: {},
      apiVersion: "v1",
      kind: "K",
      spec: { a: 2, b: 1 },
      metadata: { name: "web", namespace: "ns", labels: { a: "2", z: "1" } },
    });
    assert.equal(a, b);
    assert.equal(
      a,
      [
        "apiVersion: v1",
        "kind: K",
        "metadata:",
        "  name: web",
        "  namespace: ns",
        "  labels:",
        '    a: "2"',
        '    z: "1"',
        "data: {}",
        "spec:",
        "  a: 2",
        "  b: 1",
        "",
      ].join("\n"),
    );
  });

  it("writes multi-line strings as literal blocks, one source line per YAML line", () => {
    const text = toYaml({
      data: { "nginx.conf": "server {\n  listen 80;\n}\n", "no-newline": "a\nb", trailing: "x\n\n" },
    });
    assert.equal(
      text,
      [
        "data:",
        "  nginx.conf: |",
        "    server {",
        "      listen 80;",
        "    }",
        "  no-newline: |-",
        "    a",
        "    b",
        "  trailing: |+",
        "    x",
        "",
        "",
      ].join("\n"),
    );
  });

  it("uses block style for nested lists and maps", () => {
    assert.equal(
      toYaml({ spec: { containers: [{ name: "web", ports: [{ containerPort: 80 }] }], args: ["a", ["b"]] } }),
      [
        "spec:",
        "  args:",
        "    - a",
        "    - - b",
        "  containers:",
        "    - name: web",
        "      ports:",
        "        - containerPort: 80",
        "",
      ].join("\n"),
    );
  });

  it("drops undefined members like JSON and rejects functions", () => {
    assert.equal(toYaml({ a: undefined, b: 1 }), "b: 1\n");
    assert.throws(() => toYaml({ f: () => 1 }), TypeError);
  });
});

describe("fromYaml's fast reader", () => {
  it("hands any other form of YAML to the full library, with the library's result", () => {
    for (const text of [
      "a: 1 # a comment\n",
      "a:   1\n",
      "a: 'single'\n",
      "{a: 1, b: [x, y]}\n",
      "a:\n    b: 1\n",
      "a:\n- x\n- y\n",
      "a: |\n  x\n",
      "a: >\n  folded\n  text\n",
      "a: ~\n",
      "a: 0x1F\n",
      "a: 1e3\n",
      "a: 01\n",
      "a: Yes\n",
      "--- \na: 1\n",
      "a: 1",
      "a: &x 1\nb: *x\n",
      'a: "\\0\\/"\n',
      "? complex\n: value\n",
      "__proto__: 1\n",
      "",
    ]) {
      assert.deepStrictEqual(fromYaml(text), parseFull(text), JSON.stringify(text));
    }
  });

  it("rejects duplicate keys as the full library does", () => {
    assert.throws(() => fromYaml("a: 1\na: 2\n"), /unique|duplicate/i);
    assert.throws(() => fromYaml("m:\n  k: x\n  k: y\n"), /unique|duplicate/i);
  });

  it("reads a recorded object in the fast path", () => {
    const obj = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c-1", namespace: "ns", labels: { app: "x", "app.kubernetes.io/part-of": "1" } },
      data: { "app.properties": "key=1\nsetting=value\n", empty: "", n: "12", multi: "  lead\n\ntrail\n\n" },
      list: [[], {}, [1, [2]], { a: null, b: true, c: -0.5 }, "- dash", "|"],
    };
    const text = toYaml(obj);
    const fast = readCanonicalYaml(text);
    assert.notEqual(fast, NOT_CANONICAL);
    assert.deepStrictEqual(fast, obj);
    assert.deepStrictEqual(fromYaml(text), parseFull(text));
  });
});
