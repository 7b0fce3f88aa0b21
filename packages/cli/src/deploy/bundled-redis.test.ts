/**
 * The bundled Redis of the Helm chart and of kustomize must never evict (BullMQ keeps the queue in
 * Redis keys; an evicting Redis loses jobs silently) and must stop at `--maxmemory` before the
 * container's memory limit, so that a full Redis refuses writes instead of being OOM-killed. This test
 * reads deploy/ as text; test/e2e/deploy.test.ts checks the rendered objects.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parse, parseAllDocuments } from "yaml";

const DEPLOY = new URL("../../../../deploy/", import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, DEPLOY), "utf8");

/** Highest share of the memory limit `--maxmemory` may take (the chart's shiplog.validate agrees). */
const MAX_SHARE = 0.9;

/** Bytes of a Redis memory value ("384mb" = 384 MiB, "500m" = 500e6, "1gb"). */
function redisBytes(v: string): number {
  const m = /^(\d+)(b|k|kb|m|mb|g|gb)?$/i.exec(v);
  assert.ok(m?.[1] !== undefined, `a Redis memory value: ${v}`);
  const unit: Record<string, number> = {
    "": 1,
    b: 1,
    k: 1e3,
    kb: 2 ** 10,
    m: 1e6,
    mb: 2 ** 20,
    g: 1e9,
    gb: 2 ** 30,
  };
  return Number(m[1]) * (unit[(m[2] ?? "").toLowerCase()] ?? NaN);
}

/** Bytes of a Kubernetes quantity with an integer ("512Mi", "1G"). */
function quantityBytes(v: string): number {
  const m = /^(\d+)(Ki|Mi|Gi|k|M|G)?$/.exec(v);
  assert.ok(m?.[1] !== undefined, `a memory quantity: ${v}`);
  const unit: Record<string, number> = {
    "": 1,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    k: 1e3,
    M: 1e6,
    G: 1e9,
  };
  return Number(m[1]) * (unit[m[2] ?? ""] ?? NaN);
}

/** The value after `flag` in an argument list. */
function argAfter(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

interface RedisContainer {
  args: string[];
  resources: { limits: { memory: string } };
}

function kustomizeRedis(): RedisContainer {
  const sts = parseAllDocuments(read("kustomize/base/redis.yaml"))
    .map(
      (d) => d.toJS() as { kind?: string; spec?: { template: { spec: { containers: RedisContainer[] } } } },
    )
    .find((m) => m.kind === "StatefulSet");
  const container = sts?.spec?.template.spec.containers[0];
  assert.ok(container !== undefined, "kustomize base/redis.yaml has a StatefulSet with a container");
  return container;
}

describe("the bundled Redis never evicts and stays under its memory limit", () => {
  it("kustomize: --maxmemory-policy noeviction and --maxmemory at most 90% of the limit", () => {
    const c = kustomizeRedis();
    assert.equal(argAfter(c.args, "--maxmemory-policy"), "noeviction");
    const max = redisBytes(argAfter(c.args, "--maxmemory") ?? "");
    const limit = quantityBytes(c.resources.limits.memory);
    assert.ok(max > 0 && max <= MAX_SHARE * limit, `maxmemory ${max} vs limit ${limit}`);
  });

  it("Helm: the template fixes noeviction, takes --maxmemory from values, and the defaults fit", () => {
    const template = read("helm/shiplog/templates/redis.yaml");
    assert.match(template, /- --maxmemory-policy\n\s+- noeviction\n/);
    assert.match(template, /- --maxmemory\n\s+- \{\{ \.Values\.redis\.maxmemory \| quote \}\}\n/);
    const values = parse(read("helm/shiplog/values.yaml")) as {
      redis: { maxmemory: string; resources: { limits: { memory: string } } };
    };
    const max = redisBytes(values.redis.maxmemory);
    const limit = quantityBytes(values.redis.resources.limits.memory);
    assert.ok(max > 0 && max <= MAX_SHARE * limit, `maxmemory ${max} vs limit ${limit}`);
  });

  it("Helm and kustomize ship the same defaults", () => {
    const c = kustomizeRedis();
    const values = parse(read("helm/shiplog/values.yaml")) as {
      redis: { maxmemory: string; resources: { limits: { memory: string } } };
    };
    assert.equal(argAfter(c.args, "--maxmemory"), values.redis.maxmemory);
    assert.equal(c.resources.limits.memory, values.redis.resources.limits.memory);
  });
});
