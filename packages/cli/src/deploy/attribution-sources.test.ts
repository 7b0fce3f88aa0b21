/**
 * The Helm chart and the kustomize configs name attribution sources too. They cannot import core's
 * `AttributionSources`, so this test reads them and checks that they agree with it. The rendered
 * output is checked by test/e2e/deploy.test.ts with the real helm, kubectl and kube-apiserver.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { AttributionSources } from "@shiplog/core";
import { parse } from "yaml";

/** The repository's deploy/ directory, from dist/deploy/ of this package. */
const DEPLOY = new URL("../../../../deploy/", import.meta.url);
const CHART = new URL("helm/shiplog/", DEPLOY);
const SOURCES = Object.values(AttributionSources).sort();

const read = (url: URL): string => readFileSync(url, "utf8");
const isSource = (v: unknown): boolean => typeof v === "string" && (SOURCES as string[]).includes(v);

function valueAt(doc: unknown, path: readonly string[]): unknown {
  let cur = doc;
  for (const key of path)
    cur = typeof cur === "object" && cur !== null ? (cur as Record<string, unknown>)[key] : undefined;
  return cur;
}

describe("attribution sources in deploy/ agree with core's AttributionSources", () => {
  it("values.schema.json's attribution.sources items enum is AttributionSources", () => {
    const schema: unknown = JSON.parse(read(new URL("values.schema.json", CHART)));
    const items = valueAt(schema, ["properties", "attribution", "properties", "sources", "items", "enum"]);
    assert.ok(Array.isArray(items), "the schema lists the sources");
    assert.deepEqual([...(items as string[])].sort(), SOURCES);
  });

  it("every source a chart template tests for is a known source", () => {
    const templates = new URL("templates/", CHART);
    let seen = 0;
    for (const f of readdirSync(templates)) {
      for (const m of read(new URL(f, templates)).matchAll(
        /has "([^"]+)" (?:\$att|\.Values\.attribution)\.sources/g,
      )) {
        assert.ok(isSource(m[1]), `${f} tests for an unknown source "${m[1]}"`);
        seen++;
      }
    }
    assert.ok(seen >= 2, "the chart tests for audit and admission");
  });

  it("the chart's CI values and every kustomize config use known sources", () => {
    const files = [
      ...readdirSync(new URL("ci/", CHART)).map(
        (f) => [new URL(`ci/${f}`, CHART), ["attribution", "sources"]] as const,
      ),
      ...readdirSync(new URL("kustomize/overlays/", DEPLOY)).map(
        (o) => [new URL(`kustomize/overlays/${o}/config.yaml`, DEPLOY), ["attribution", "sources"]] as const,
      ),
    ];
    let used = 0;
    for (const [url, path] of files) {
      const sources = valueAt(parse(read(url)), path);
      if (sources === undefined) continue;
      assert.ok(Array.isArray(sources), `${url.pathname}: attribution.sources is a list`);
      for (const s of sources as unknown[])
        assert.ok(isSource(s), `${url.pathname}: source ${JSON.stringify(s)}`);
      used++;
    }
    assert.ok(used >= 2, "the chart's CI values and the attribution overlay set sources");
  });
});
