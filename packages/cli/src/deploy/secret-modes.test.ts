/**
 * The Helm chart and the kustomize configs name secret modes too. They cannot import core's registry,
 * so this test reads them and checks that they agree with it (`SECRET_MODE_NAMES`, and `needsHmacKey`:
 * every mode that fingerprints gets a stable key, else each pod start would generate a new one). The
 * rendered output is checked by test/e2e/deploy.test.ts with the real helm and kubectl.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { SECRET_MODE_NAMES, SecretModeRegistry, type SecretMode } from "@shiplog/core";
import { parse } from "yaml";

/** The repository's deploy/ directory, from dist/deploy/ of this package. */
const DEPLOY = new URL("../../../../deploy/", import.meta.url);
const CHART = new URL("helm/shiplog/", DEPLOY);

const read = (url: URL): string => readFileSync(url, "utf8");
const sorted = (names: Iterable<string>): string[] => [...names].sort();
const MODES = sorted(SECRET_MODE_NAMES);
const isMode = (v: unknown): v is SecretMode => typeof v === "string" && MODES.includes(v);
const needsKey = (mode: unknown): boolean => isMode(mode) && SecretModeRegistry[mode].needsHmacKey;
const KEY_MODES = MODES.filter(needsKey);

function yamlFiles(dir: URL): URL[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => new URL(f, dir));
}

/** The body of `{{- define "name" -}}` in a template file, up to the next define. */
function defineBody(text: string, name: string): string {
  const start = text.indexOf(`define "${name}"`);
  assert.ok(start >= 0, `the chart defines ${name}`);
  const next = text.indexOf('define "', start + 1);
  return text.slice(start, next < 0 ? undefined : next);
}

/** The `if` that most closely precedes `index` in a template (the condition a line renders under). */
function guardOf(text: string, index: number): string {
  const ifs = [...text.slice(0, index).matchAll(/\{\{-? ?if .*$/gm)];
  return ifs.at(-1)?.[0] ?? "";
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
    const helpers = defineBody(read(new URL("templates/_helpers.tpl", CHART)), "shiplog.validate");
    const list = /has \.Values\.secretProtection\.mode \(list ((?:"[^"]+" ?)+)\)/.exec(helpers)?.[1];
    assert.ok(list !== undefined, "_helpers.tpl checks secretProtection.mode against a list");
    assert.deepEqual(sorted(list.match(/[^" ]+/g) ?? []), MODES);
    const message = /secretProtection\.mode must be ([^%]+?), got/.exec(helpers)?.[1];
    assert.ok(message !== undefined, "_helpers.tpl names the modes in its failure message");
    assert.deepEqual(sorted(message.split(/, | or /)), MODES);
  });

  it("the chart creates, mounts and configures the fingerprint key in exactly the modes that need it", () => {
    const templates = new URL("templates/", CHART);
    const helpers = read(new URL("_helpers.tpl", templates));
    const body = defineBody(helpers, "shiplog.needsHmacKey");
    const list = /has \.Values\.secretProtection\.mode \(list ((?:"[^"]+" ?)+)\)/.exec(body)?.[1];
    assert.ok(list !== undefined, "shiplog.needsHmacKey tests secretProtection.mode against a list");
    assert.deepEqual(sorted(list.match(/[^" ]+/g) ?? []), KEY_MODES);
    // Every place that creates the key Secret, mounts it or names its file renders under that helper.
    const uses: [string, RegExp][] = [
      ["secrets.yaml", /include "shiplog\.hmacSecretName"/g],
      ["configmap.yaml", /"hmacKeyFile"/g],
      ["_helpers.tpl", /- name: hmac-key$/gm],
    ];
    for (const [file, pattern] of uses) {
      const text = read(new URL(file, templates));
      const found = [...text.matchAll(pattern)];
      assert.ok(found.length > 0, `${file} uses the key (${String(pattern)})`);
      for (const m of found) {
        const guard = guardOf(text, m.index);
        assert.match(guard, /include "shiplog\.needsHmacKey"/, `${file}: ${m[0]} renders under ${guard}`);
      }
    }
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

  it("every kustomize overlay whose mode needs the fingerprint key configures it and keeps its mount", () => {
    const overlays = new URL("kustomize/overlays/", DEPLOY);
    const names = readdirSync(overlays);
    assert.ok(
      names.some((o) =>
        needsKey(valueAt(parse(read(new URL(`${o}/config.yaml`, overlays))), ["secrets", "mode"])),
      ),
    );
    for (const overlay of names) {
      const config: unknown = parse(read(new URL(`${overlay}/config.yaml`, overlays)));
      const mode = valueAt(config, ["secrets", "mode"]);
      const keyFile = valueAt(config, ["secrets", "hmacKeyFile"]);
      // The base and the split component mount Secret shiplog-hmac here; an overlay may only drop it.
      const dropsMount = /name: hmac-key\s+\$patch: delete/.test(
        read(new URL(`${overlay}/kustomization.yaml`, overlays)),
      );
      if (needsKey(mode)) {
        assert.equal(
          keyFile,
          "/etc/shiplog/secrets/hmac/hmac-key",
          `${overlay}: ${String(mode)} needs hmacKeyFile`,
        );
        assert.equal(dropsMount, false, `${overlay}: ${String(mode)} mode must keep the hmac-key mount`);
      } else {
        assert.equal(keyFile, undefined, `${overlay}: ${String(mode)} mode has no key file`);
        assert.equal(dropsMount, true, `${overlay}: ${String(mode)} mode drops the unused hmac-key mount`);
      }
    }
  });
});
