// A 10-minute remote outage, on a fake clock (issue 12: "pushes go out at most every pushInterval, with
// backoff while the remote is down, and nothing is lost during a 10-minute outage"). The Pusher runs
// with the default retry timings against a remote that does not exist for 10 minutes of fake time;
// every attempt is a real `git push` that fails. Then the remote appears: the next attempt pushes every
// local commit, never forced. Promise: the attempts are bounded by the backoff (not one per poll), the
// first retry waits retryBaseMs, no wait exceeds retryMaxMs, and no commit is lost.
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { silentLogger } from "@shiplog/core";
import { FakeClock } from "@shiplog/core/testing";
import { shiplogAuthor } from "./attribution.js";
import { openRepo } from "./git/repo.js";
import { createCommitterMetrics } from "./metrics.js";
import { Pusher } from "./pusher.js";
import { git, gitHead, gitLog, tempDir } from "./testing/fixtures.js";

const OUTAGE_MS = 10 * 60_000;
const RETRY_BASE_MS = 1000; // the defaults (options.ts)
const RETRY_MAX_MS = 60_000;
const STEP_MS = 250;

/** Real time: until `check` holds, or fail naming `what`. */
async function eventually(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe("push through a 10-minute remote outage (fake clock, real git)", () => {
  it("backs off, keeps every commit, and pushes them all once the remote is back", async () => {
    using dir = tempDir("push-outage");
    const work = join(dir.path, "local");
    const local = join(work, ".git");
    const remote = join(dir.path, "remote.git"); // absent until the outage ends
    const sh = (...args: string[]) =>
      execFileSync("git", ["-C", work, "-c", "user.name=t", "-c", "user.email=t@example.test", ...args]);
    execFileSync("git", ["init", "-q", "-b", "main", work]);
    for (let i = 0; i < 3; i++) {
      writeFileSync(join(work, `o${i}.yaml`), `v: "${i}"\n`);
      sh("add", ".");
      sh("commit", "-qm", `change ${i}`);
    }
    const repo = await openRepo({ path: work, branch: "main" });
    const clock = new FakeClock();
    const pusher = new Pusher(
      repo,
      {
        url: remote,
        pushIntervalMs: 10_000,
        retryBaseMs: RETRY_BASE_MS,
        retryMaxMs: RETRY_MAX_MS,
        timeoutMs: 30_000,
      },
      clock,
      silentLogger,
      createCommitterMetrics(),
      shiplogAuthor("example.test"),
    );
    const stop = new AbortController();
    const loop = pusher.run(stop.signal);
    try {
      // Fake time moves in 250 ms steps, and only while the pusher sleeps: a real `git push` in flight
      // (no timer pending) is waited for in real time, so each failure is seen at the fake time it
      // happened.
      const attemptsAt: number[] = [];
      const start = clock.now();
      let seen = 0;
      while (clock.now() - start < OUTAGE_MS) {
        await eventually("the pusher to sleep between attempts", () => clock.pending > 0);
        if (pusher.status().failures > seen) {
          seen = pusher.status().failures;
          attemptsAt.push(clock.now() - start);
        }
        await clock.advance(STEP_MS);
      }
      const gaps = attemptsAt.slice(1).map((t, i) => t - (attemptsAt[i] ?? 0));
      console.log(
        `push-outage: ${attemptsAt.length} attempts in ${OUTAGE_MS / 60_000} min, gaps ${gaps.join(",")} ms`,
      );
      assert.equal(pusher.status().state, "retrying");
      assert.equal(existsSync(remote), false, "nothing could be pushed");
      // 1 + 2 + 4 + ... + 32 s, then one attempt a minute: about 16 attempts in 10 minutes, not thousands.
      assert.ok(attemptsAt.length >= 10 && attemptsAt.length <= 20, `${attemptsAt.length} attempts`);
      assert.equal(seen, attemptsAt.length, "one failure per attempt");
      assert.ok(Math.abs((gaps[0] ?? 0) - RETRY_BASE_MS) <= STEP_MS, `first retry after ${gaps[0]} ms`);
      for (let i = 1; i < gaps.length; i++)
        assert.ok(
          (gaps[i] ?? 0) + STEP_MS >= (gaps[i - 1] ?? 0),
          `the backoff never shrinks: ${gaps.join(",")}`,
        );
      assert.ok(
        gaps.every((g) => g <= RETRY_MAX_MS + STEP_MS),
        `no wait above retryMaxMs: ${gaps.join(",")}`,
      );
      assert.equal(gitLog(local).length, 3, "every commit is still local");

      execFileSync("git", ["init", "--bare", "-q", "-b", "main", remote]);
      await clock.advance(RETRY_MAX_MS);
      await eventually("the push after the outage", () => gitHead(remote) === gitHead(local));
      assert.equal(gitLog(remote).length, 3, "no commit lost");
      git(remote, "fsck", "--strict");
    } finally {
      stop.abort();
      await clock.advance(RETRY_MAX_MS);
      await loop;
      pusher.close();
      repo.close();
    }
  });
});
