import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, Defaults } from "@shiplog/core";
import { resolveOptions } from "./options.js";
import type { CommitterOptions } from "./options.js";

const base: CommitterOptions = { repoPath: "/tmp/x", cluster: "c", queue: { connection: {}, prefix: "p" } };

describe("committer options", () => {
  it("fills documented defaults, the shared ones from core's Defaults", () => {
    const o = resolveOptions({ ...base, remote: { url: "/tmp/remote.git" } });
    assert.equal(o.quietPeriodMs, Defaults.quietPeriodMs);
    assert.equal(o.maxWindowMs, Defaults.maxWindowMs);
    assert.equal(o.branch, Defaults.branch);
    assert.equal(o.authorDomain, "shiplog.local");
    assert.equal(o.remote?.pushIntervalMs, Defaults.pushIntervalMs);
    assert.deepEqual(
      {
        lockRenewIntervalMs: o.lockRenewIntervalMs,
        lockRetryIntervalMs: o.lockRetryIntervalMs,
        jobLockExtendIntervalMs: o.jobLockExtendIntervalMs,
        orphanWaitMs: o.orphanWaitMs,
        orphanPollIntervalMs: o.orphanPollIntervalMs,
        pollIntervalMs: o.pollIntervalMs,
        fetchAhead: o.fetchAhead,
        commitRetryBaseMs: o.commitRetryBaseMs,
        commitRetryMaxMs: o.commitRetryMaxMs,
      },
      {
        // a 5 s lease (ADR 0037): renewed every third of it, a standby asks every second
        lockRenewIntervalMs: 1666,
        lockRetryIntervalMs: 1000,
        jobLockExtendIntervalMs: 10000,
        orphanWaitMs: 30000 + 3 * 15000,
        orphanPollIntervalMs: 7500,
        pollIntervalMs: 25,
        fetchAhead: 32,
        commitRetryBaseMs: 1000,
        commitRetryMaxMs: 60000,
      },
    );
  });

  it("derives the lock and job-lock intervals from their TTLs", () => {
    const o = resolveOptions({ ...base, lockTtlMs: 300, jobLockMs: 900, stalledIntervalMs: 60 });
    assert.equal(o.lockRenewIntervalMs, 100);
    assert.equal(o.jobLockExtendIntervalMs, 300);
    assert.equal(o.orphanWaitMs, 900 + 180);
    assert.equal(o.orphanPollIntervalMs, 50);
  });

  for (const [field, opts] of [
    ["quietPeriodMs", { ...base, quietPeriodMs: -1 }],
    ["maxWindowMs", { ...base, quietPeriodMs: 5000, maxWindowMs: 1000 }],
    ["cluster", { ...base, cluster: "" }],
    ["remote.url", { ...base, remote: { url: "" } }],
    ["remote.pushIntervalMs", { ...base, remote: { url: "x", pushIntervalMs: 0.5 } }],
    ["remote.retryMaxMs", { ...base, remote: { url: "x", retryBaseMs: 500, retryMaxMs: 100 } }],
    ["authorDomain", { ...base, authorDomain: "a b" }],
    ["lockTtlMs", { ...base, lockTtlMs: 299 }],
    ["lockRenewIntervalMs", { ...base, lockTtlMs: 1000, lockRenewIntervalMs: 1000 }],
    ["jobLockExtendIntervalMs", { ...base, jobLockMs: 1000, jobLockExtendIntervalMs: 2000 }],
    ["fetchAhead", { ...base, fetchAhead: 0 }],
    ["pollIntervalMs", { ...base, pollIntervalMs: 2.5 }],
    ["commitRetryMaxMs", { ...base, commitRetryBaseMs: 2000, commitRetryMaxMs: 1000 }],
  ] as const) {
    it(`rejects a bad ${field} with a ConfigError naming committer.${field}`, () => {
      assert.throws(
        () => resolveOptions(opts),
        (err: unknown) =>
          err instanceof ConfigError && err.field === `committer.${field}` && err.message.includes(field),
      );
    });
  }
});
