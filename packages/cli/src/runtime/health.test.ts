import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeClock } from "@shiplog/core/testing";
import type { ReflectorState, ReflectorStatus } from "@shiplog/watcher";
import type { CommitterProbe } from "./health.js";
import { DEFAULT_STUCK_AFTER_MS, HealthTracker } from "./health.js";

const MIN = 60_000;

function committer(
  clock: FakeClock,
  over: Partial<CommitterProbe["status"]> & { queued?: number | undefined; progressAgoMs?: number } = {},
): CommitterProbe {
  const { queued = 0, progressAgoMs = 0, ...status } = over;
  return {
    status: {
      state: "running",
      windowEvents: 0,
      lastProgressAt: new Date(clock.now() - progressAgoMs).toISOString(),
      lastError: undefined,
      loopFailed: false,
      ...status,
    },
    queued,
  };
}

function reflector(type: string, state: ReflectorState, lastError?: string): ReflectorStatus {
  return {
    type,
    group: "",
    version: "v1",
    resource: type,
    state,
    objects: 0,
    resourceVersion: "1",
    synced: state === "watching",
    resumed: false,
    ...(lastError !== undefined ? { lastError } : {}),
  };
}

describe("health (pure: statuses + now -> verdict)", () => {
  it("fails when the committer has events waiting and no progress for longer than the bound", async () => {
    const clock = new FakeClock(Date.parse("2026-01-01T00:00:00Z"));
    const health = new HealthTracker();
    const progressAt = clock.now();
    const probe = (queued: number) => ({
      status: { ...committer(clock).status, lastProgressAt: new Date(progressAt).toISOString() },
      queued,
    });
    assert.deepEqual(health.observe({ now: clock.now(), committer: probe(12) }), { healthy: true });
    await clock.advance(DEFAULT_STUCK_AFTER_MS);
    assert.equal(health.observe({ now: clock.now(), committer: probe(12) }).healthy, true);
    await clock.advance(1000);
    const stuck = health.observe({ now: clock.now(), committer: probe(12) });
    assert.equal(stuck.healthy, false);
    assert.match(stuck.reason ?? "", /^committer made no progress for 5 min with 12 events waiting$/);
    // A window settles: healthy again.
    assert.deepEqual(health.observe({ now: clock.now(), committer: committer(clock, { queued: 12 }) }), {
      healthy: true,
    });
  });

  it("counts from when work appeared, not from the last progress of an idle committer", async () => {
    const clock = new FakeClock(0);
    const health = new HealthTracker(MIN);
    const idle = committer(clock, { progressAgoMs: 60 * MIN });
    assert.equal(health.observe({ now: clock.now(), committer: idle }).healthy, true);
    const busy = { ...idle, status: { ...idle.status, windowEvents: 3 } };
    assert.equal(health.observe({ now: clock.now(), committer: busy }).healthy, true);
    await clock.advance(MIN);
    assert.equal(health.observe({ now: clock.now(), committer: busy }).healthy, true);
    await clock.advance(1);
    assert.match(
      health.observe({ now: clock.now(), committer: busy }).reason ?? "",
      /no progress for 1 min with 0 events waiting/,
    );
    // The queue drained meanwhile (another instance took over): the memory resets.
    assert.equal(health.observe({ now: clock.now(), committer: idle }).healthy, true);
    assert.equal(health.observe({ now: clock.now(), committer: busy }).healthy, true);
  });

  it("does not blame a standby waiting for the lock, and does blame a committer whose loop ended", async () => {
    const clock = new FakeClock(0);
    const health = new HealthTracker(MIN);
    const standby = committer(clock, { state: "waiting-for-lock", queued: 500, progressAgoMs: 10 * MIN });
    health.observe({ now: clock.now(), committer: standby });
    await clock.advance(10 * MIN);
    assert.equal(health.observe({ now: clock.now(), committer: standby }).healthy, true);
    const dead = committer(clock, { state: "waiting-for-lock", loopFailed: true, lastError: "disk full" });
    assert.deepEqual(health.observe({ now: clock.now(), committer: dead }), {
      healthy: false,
      reason: "committer stopped committing: disk full",
    });
  });

  it("fails when a watched type stays in backoff (or never finishes listing) longer than the bound", async () => {
    const clock = new FakeClock(0);
    const health = new HealthTracker(2 * MIN);
    const watcher = (state: ReflectorState) => ({
      types: [
        reflector("configmaps", "watching"),
        reflector("widgets.example.com", state, "503 from the apiserver"),
      ],
    });
    assert.equal(health.observe({ now: clock.now(), watcher: watcher("backoff") }).healthy, true);
    await clock.advance(MIN);
    assert.equal(health.observe({ now: clock.now(), watcher: watcher("listing") }).healthy, true);
    await clock.advance(MIN + 1);
    const stuck = health.observe({ now: clock.now(), watcher: watcher("backoff") });
    assert.equal(stuck.healthy, false);
    assert.equal(
      stuck.reason,
      "watcher: widgets.example.com backoff for 2 min (last error: 503 from the apiserver)",
    );
    // Forbidden is reported by metrics and doctor, not a reason to restart; watching resets the memory.
    assert.equal(health.observe({ now: clock.now(), watcher: watcher("forbidden") }).healthy, true);
    assert.equal(health.observe({ now: clock.now(), watcher: watcher("backoff") }).healthy, true);
  });

  it("joins the reasons of several stuck stages and rejects a bad bound", async () => {
    const clock = new FakeClock(0);
    const health = new HealthTracker(1000);
    const c = committer(clock, { queued: 1, progressAgoMs: 5000 });
    const w = { types: [reflector("pods", "backoff")] };
    health.observe({ now: clock.now(), committer: c, watcher: w });
    await clock.advance(1001);
    const verdict = health.observe({ now: clock.now(), committer: c, watcher: w });
    assert.equal(verdict.healthy, false);
    assert.match(verdict.reason ?? "", /^committer made no progress .*; watcher: pods backoff for /);
    assert.throws(() => new HealthTracker(0), /stuckAfterMs/);
  });
});
