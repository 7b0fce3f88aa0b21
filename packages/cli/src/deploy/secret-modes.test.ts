/**
 * The Helm chart and the kustomize configs name secret modes too. They cannot import core's registry,
 * so this test reads them and checks that they agree with it (`SECRET_MODE_NAMES`).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { SECRET_MODE_NAMES } from "@shiplog/core";
import { parse } from "yaml";

/** The repository's deploy/ directory, from dist/deploy/ of this package. */
const DEPLOY = new URL("../../../../deploy/", import.meta.url);
const CHART = new URL("helm/shiplog/", DEPLOY);

const read = (url: URL): string => readFileSync(url, "utf8");
const sorted = (names: Iterable<string>): string[] => [...names].sort();
const MODES = sorted(SECRET_MODE_NAMES);
const isMode = (v: unknown): boolean => typeof v === "string" && MODES.includes(v);

function yamlFiles(dir: URL): URL[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => new URL(f, dir));
}

function valueAt(doc: unknown, path: readonly string[]): unknown {
  let cur = doc;
  for (const key of path)
    cur = typeof cur === "object" && cur !== null ? (cur as Record<string, unknown>)[key] : undefined;
  return cur;
}

describe("secret modes in deploy/ agree with core's registry", () => {
  it("values.schema.json's secretProtection.mode enum is SECRET_MODE_NAMES", () => {
    const schema: unknown = JSON.parse(read(new URL("values.schema.json", CHART)));
    const mode = valueAt(schema, ["properties", "secretProtection", "properties", "mode"]);
    assert.deepEqual(valueAt(mode, ["enum"]), [...SECRET_MODE_NAMES]);
  });

  it("the chart's render-time check lists the same modes, in its condition and its message", () => {
    const helpers = read(new URL("templates/_helpers.tpl", CHART));
    const list = /has \.Values\.secretProtection\.mode \(list ((?:"[^"]+" ?)+)\)/.exec(helpers)?.[1];
    assert.ok(list !== undefined, "_helpers.tpl checks secretProtection.mode against a list");
    assert.deepEqual(sorted(list.match(/[^" ]+/g) ?? []), MODES);
    const message = /secretProtection\.mode must be ([^%]+?), got/.exec(helpers)?.[1];
    assert.ok(message !== undefined, "_helpers.tpl names the modes in its failure message");
    assert.deepEqual(sorted(message.split(/, | or /)), MODES);
  });

  it("every mode a chart template tests for is a known mode", () => {
    const templates = new URL("templates/", CHART);
    for (const f of readdirSync(templates)) {
      for (const m of read(new URL(f, templates)).matchAll(/secretProtection\.mode "([^"]+)"/g)) {
        assert.ok(isMode(m[1]), `${f} tests for an unknown mode "${m[1]}"`);
      }
    }
  });

  it("values.yaml documents every mode, and its default and the CI values use known modes", () => {
    const values = read(new URL("values.yaml", CHART));
    const block = /^# -- How Secret values are kept out of Git.*\n((?:#\s{3}\S+\s+- .*\n)+)/m.exec(
      values,
    )?.[1];
    assert.ok(block !== undefined, "values.yaml explains secretProtection.mode");
    assert.deepEqual(sorted([...block.matchAll(/^#\s+(\S+)\s+- /gm)].map((m) => m[1] ?? "")), MODES);
    for (const url of [new URL("values.yaml", CHART), ...yamlFiles(new URL("ci/", CHART))]) {
      const mode = valueAt(parse(read(url)), ["secretProtection", "mode"]);
      if (mode !== undefined) assert.ok(isMode(mode), `${url.pathname}: mode ${JSON.stringify(mode)}`);
    }
  });

  it("every kustomize config uses a known secrets.mode", () => {
    const configs = yamlFiles(new URL("kustomize/", DEPLOY)).filter((u) =>
      u.pathname.endsWith("/config.yaml"),
    );
    assert.ok(configs.length > 0, "deploy/kustomize has config.yaml files");
    for (const url of configs) {
      const mode = valueAt(parse(read(url)), ["secrets", "mode"]);
      assert.ok(isMode(mode), `${url.pathname}: secrets.mode ${JSON.stringify(mode)}`);
    }
  });
});
