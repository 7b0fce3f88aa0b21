import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Canonicalizer } from "@shiplog/core";
import { ConfigError, createCanonicalizer, defaultConfig, Defaults } from "@shiplog/core";
import type { WatcherOptions } from "./options.js";
import { resolveOptions } from "./options.js";
import { unreachableKubeConfig } from "./testing/kube-config.js";

function base(): WatcherOptions {
  const kc = unreachableKubeConfig();
  const cfg = defaultConfig();
  return {
    kubeConfig: kc,
    queue: { connection: { host: "127.0.0.1", port: 6379 }, prefix: "p" },
    canonicalizer: createCanonicalizer({
      normalize: cfg.normalize,
      secrets: cfg.secrets,
      hmacKey: "options-test-fingerprint-key-0123",
    }),
  };
}

function field(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.field;
  }
  assert.fail("did not throw");
}

describe("resolveOptions", () => {
  it("falls back to core's defaults", () => {
    const r = resolveOptions(base());
    assert.equal(r.pageSize, Defaults.pageSize);
    assert.equal(r.rediscoverIntervalMs, Defaults.rediscoverIntervalMs);
  });

  it("throws core's ConfigError naming watcher.<option>", () => {
    assert.equal(
      field(() => resolveOptions({ ...base(), pageSize: 0 })),
      "watcher.pageSize",
    );
    assert.equal(
      field(() => resolveOptions({ ...base(), rediscoverIntervalMs: 1.5 })),
      "watcher.rediscoverIntervalMs",
    );
    assert.equal(
      field(() => resolveOptions({ ...base(), queue: { connection: {}, prefix: "" } })),
      "watcher.queue.prefix",
    );
    const syncOnly = { canonicalize: () => ({ skipped: true, reason: "x" }) } as unknown as Canonicalizer;
    assert.equal(
      field(() => resolveOptions({ ...base(), canonicalizer: syncOnly })),
      "watcher.canonicalizer",
    );
    assert.equal(
      field(() => resolveOptions({ ...base(), include: { groups: [1 as unknown as string] } })),
      "watcher.include.groups",
    );
    assert.equal(
      field(() => resolveOptions({ ...base(), forbidden: "secrets" as unknown as string[] })),
      "watcher.forbidden",
    );
  });
});
