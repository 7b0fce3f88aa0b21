import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "@shiplog/core/testing";
import { FetchAhead } from "./fetch-ahead.js";
import { WindowLoop } from "./window-loop.js";
import type { JobSource } from "./window-loop.js";

/** A queue in memory. A blocking fetch of an empty queue waits a second on the clock, as BullMQ's does. */
class MemoryQueue implements JobSource<string> {
  readonly jobs: string[] = [];
  readonly tokens = new Set<string>();
  constructor(private readonly clock: FakeClock) {}

  async next(token: string, block: boolean): Promise<string | undefined> {
    this.tokens.add(token);
    if (this.jobs.length > 0 || !block) return this.jobs.shift();
    await this.clock.sleep(1000);
    return this.jobs.shift();
  }
}

function setup(
  opts: {
    quietPeriodMs?: number;
    maxWindowMs?: number;
    maxWindowEvents?: number;
    maxWindowBytes?: number;
    eventTime?: (job: string) => number | undefined;
    housekeeping?: (job: string) => boolean;
    /** How long each commit takes on the clock. */
    commitMs?: number;
  } = {},
) {
  const clock = new FakeClock();
  const t0 = clock.now();
  const queue = new MemoryQueue(clock);
  const loop = new WindowLoop<string>({
    quietPeriodMs: opts.quietPeriodMs ?? 300,
    maxWindowMs: opts.maxWindowMs ?? 1000,
    maxWindowEvents: opts.maxWindowEvents ?? 1000,
    pollIntervalMs: 25,
    fetchAhead: 8,
    clock,
    instanceId: "test",
    ...(opts.eventTime !== undefined ? { eventTime: opts.eventTime } : {}),
    ...(opts.housekeeping !== undefined ? { housekeeping: opts.housekeeping } : {}),
    ...(opts.maxWindowBytes !== undefined
      ? { maxWindowBytes: opts.maxWindowBytes, jobBytes: (job: string) => job.length }
      : {}),
  });
  const windows: { at: number; jobs: string[] }[] = [];
  const received: string[] = [];
  const lost = new AbortController();
  const stop = new AbortController();
  const hooks = {
    received: (job: string) => received.push(job),
    commit: async (jobs: string[]) => {
      if (opts.commitMs !== undefined) await clock.sleep(opts.commitMs);
      windows.push({ at: clock.now() - t0, jobs });
    },
  };
  const run = (): Promise<void> => loop.run(queue, hooks, lost.signal, stop.signal);
  return { clock, queue, loop, windows, received, lost, stop, run };
}

describe("WindowLoop (fake clock)", () => {
  it("closes a window after the quiet period with no new job", async () => {
    const { clock, queue, loop, windows, stop, run } = setup({ quietPeriodMs: 300, maxWindowMs: 5000 });
    queue.jobs.push("a");
    const running = run();
    await clock.advance(200);
    assert.equal(loop.windowEvents, 1);
    queue.jobs.push("b"); // fetched at the next poll (<= 25 ms), which restarts the quiet period
    await clock.advance(299);
    assert.equal(windows.length, 0, "still within the quiet period of b");
    await clock.advance(26);
    assert.equal(windows.length, 1);
    assert.deepEqual(windows[0]?.jobs, ["a", "b"]);
    const at = windows[0]?.at ?? 0;
    assert.ok(at >= 500 && at <= 525, `closed 300 ms after b arrived, at ${at}`);
    assert.equal(loop.windowEvents, 0);
    stop.abort();
    await clock.advance(1000); // the blocking fetch of the next window returns
    await running;
  });

  it("commits a window of only housekeeping jobs once the queue is empty, without a quiet period", async () => {
    const { clock, queue, windows, stop, run } = setup({
      quietPeriodMs: 5000,
      maxWindowMs: 30_000,
      housekeeping: (job) => job.startsWith("sync"),
    });
    queue.jobs.push("sync-1", "sync-2");
    const running = run();
    await clock.advance(1);
    assert.deepEqual(windows, [{ at: 0, jobs: ["sync-1", "sync-2"] }], "at once: nothing to group with");
    // a change in the window: the quiet period applies as always
    queue.jobs.push("sync-3", "change-a");
    await clock.advance(1000); // the blocking fetch returns them, at 1000
    await clock.advance(4900);
    assert.equal(windows.length, 1, `still within the quiet period of change-a: ${JSON.stringify(windows)}`);
    await clock.advance(130);
    assert.deepEqual(windows[1], { at: 6000, jobs: ["sync-3", "change-a"] });
    stop.abort();
    await clock.advance(1000);
    await running;
  });

  it("closes a window at its maximum length while jobs keep coming", async () => {
    const { clock, queue, windows, stop, run } = setup({ quietPeriodMs: 300, maxWindowMs: 1000 });
    queue.jobs.push("j0");
    const running = run();
    for (let i = 1; i <= 4; i++) {
      await clock.advance(200);
      queue.jobs.push(`j${i}`);
    }
    await clock.advance(199);
    assert.equal(windows.length, 0, "never quiet for 300 ms, and not yet 1000 ms old");
    await clock.advance(1);
    assert.deepEqual(windows, [{ at: 1000, jobs: ["j0", "j1", "j2", "j3", "j4"] }]);
    stop.abort();
    await clock.advance(1000);
    await running;
  });

  it("closes a window at maxWindowEvents, and uses a new lock token per window", async () => {
    const { clock, queue, windows, stop, run } = setup({ maxWindowEvents: 3 });
    queue.jobs.push("a", "b", "c", "d");
    const running = run();
    await clock.tick();
    assert.deepEqual(windows[0]?.jobs, ["a", "b", "c"]);
    assert.equal(windows[0]?.at, 0);
    await clock.advance(300);
    assert.deepEqual(windows[1]?.jobs, ["d"]);
    stop.abort();
    await clock.advance(1000);
    await running;
    assert.ok(queue.tokens.has("test:1") && queue.tokens.has("test:2"));
  });

  it("closes a window at maxWindowBytes, long before maxWindowEvents", async () => {
    const { clock, queue, windows, stop, run } = setup({ maxWindowBytes: 2500 });
    const jobs = Array.from({ length: 20 }, (_, i) => String(i % 10).repeat(1000)); // 1,000 bytes each
    queue.jobs.push(...jobs);
    const running = run();
    await clock.tick();
    await clock.advance(300);
    stop.abort();
    await clock.advance(1000);
    await running;
    assert.deepEqual(
      windows.flatMap((w) => w.jobs),
      jobs,
      "every job, in order",
    );
    const sizes = windows.map((w) => w.jobs.length);
    assert.ok(windows.length >= 3, `windows of ${sizes.join(", ")} jobs`);
    // a window closes once it holds 2,500 bytes; jobs fetched together (at most fetchAhead = 8) stay
    for (const n of sizes.slice(0, -1)) assert.ok(n >= 3 && n < 3 + 8, `windows of ${sizes.join(", ")} jobs`);
  });

  it("commits the open window at once when stopped, then returns", async () => {
    const { clock, queue, windows, stop, run } = setup({ quietPeriodMs: 300 });
    queue.jobs.push("a");
    const running = run();
    await clock.advance(100);
    stop.abort();
    await running;
    assert.deepEqual(windows, [{ at: 100, jobs: ["a"] }]);
  });

  it("throws the reason of `lost` and abandons the open window uncommitted", async () => {
    const { clock, queue, loop, windows, received, lost, run } = setup({ quietPeriodMs: 300 });
    queue.jobs.push("a");
    const running = run();
    await clock.advance(100);
    assert.deepEqual(received, ["a"]);
    const reason = new Error("lock lost");
    lost.abort(reason);
    const rejected = assert.rejects(running, (err: unknown) => err === reason);
    await clock.advance(25);
    await rejected;
    assert.equal(windows.length, 0);
    assert.equal(loop.windowEvents, 0);
  });
});

describe("WindowLoop: windows by event time", () => {
  // "name@ms": a job whose change happened at ms.
  const at = (job: string): number | undefined => {
    const ms = Number(job.split("@")[1]);
    return Number.isFinite(ms) ? ms : undefined;
  };

  it("cuts a backlog fetched at once into the windows live processing would have made", async () => {
    const { clock, queue, windows, stop, run } = setup({
      quietPeriodMs: 1000,
      maxWindowMs: 5000,
      eventTime: at,
    });
    // A crash backlog: updates every 3 s (each its own window live), a burst, a long stream.
    queue.jobs.push("u1@0", "u2@3000", "u3@6000", "b1@9000", "b2@9300", "b3@9900");
    for (let t = 12_000; t <= 18_000; t += 500) queue.jobs.push(`s@${t}`);
    queue.jobs.push("nt1", "late@30000");
    const running = run();
    await clock.advance(5000);
    stop.abort();
    await clock.advance(1000);
    await running;
    assert.deepEqual(
      windows.map((w) => w.jobs.join(" ")),
      [
        "u1@0",
        "u2@3000",
        "u3@6000",
        "b1@9000 b2@9300 b3@9900",
        // every 500 ms: never quiet, cut at the 5 s maximum length by event time
        "s@12000 s@12500 s@13000 s@13500 s@14000 s@14500 s@15000 s@15500 s@16000 s@16500",
        // a job without an event time stays with its window
        "s@17000 s@17500 s@18000 nt1",
        "late@30000",
      ],
    );
  });

  it("keeps live windows as they were: arrival decides when a window is due", async () => {
    const { clock, queue, windows, stop, run } = setup({
      quietPeriodMs: 300,
      maxWindowMs: 5000,
      eventTime: at,
    });
    const running = run();
    queue.jobs.push(`a@${clock.now()}`);
    await clock.advance(1100);
    queue.jobs.push(`b@${clock.now()}`);
    await clock.advance(200);
    queue.jobs.push(`c@${clock.now()}`);
    await clock.advance(400);
    assert.deepEqual(
      windows.map((w) => w.jobs.map((j) => j.split("@")[0]).join("")),
      ["a", "bc"],
    );
    stop.abort();
    await clock.advance(1000);
    await running;
  });

  it("closes a window that opened behind a slow commit a quiet period after its last event", async () => {
    // Issue 14's burst: the first window closes at maxWindowEvents mid-burst and takes 3 s to
    // commit; the rest of the burst waits in the queue. Due by arrival, the last window would close
    // a quiet period after the committer caught up (3 s late); by event time, when live would.
    const { clock, queue, windows, stop, run } = setup({
      quietPeriodMs: 5000,
      maxWindowMs: 60_000,
      maxWindowEvents: 10,
      eventTime: at,
      commitMs: 3000,
    });
    const t0 = clock.now();
    const running = run();
    for (let i = 0; i < 15; i++) {
      queue.jobs.push(`w${i}@${clock.now()}`);
      await clock.advance(100);
    }
    const last = clock.now() - 100 - t0; // the burst's last write
    await clock.advance(20_000);
    assert.deepEqual(
      windows.map((w) => w.jobs.length),
      [10, 5],
    );
    const lag = (windows[1]?.at ?? 0) - 3000 - last; // the second commit itself takes 3 s
    assert.ok(lag >= 5000 && lag <= 5100, `due a quiet period after the last event: ${lag} ms`);
    stop.abort();
    await clock.advance(1000);
    await running;
  });

  it("still waits the grace period after the last arrival, whatever the event times say", async () => {
    // Event times far in the past (a watcher clock behind, or a late replay): the window is not
    // closed the instant the queue looks empty, so a job a moment behind still joins it.
    const { clock, queue, windows, stop, run } = setup({
      quietPeriodMs: 5000,
      maxWindowMs: 60_000,
      eventTime: at,
    });
    queue.jobs.push("a@0");
    const running = run();
    await clock.advance(500);
    queue.jobs.push("b@1");
    await clock.advance(900);
    assert.equal(windows.length, 0, "within the 1 s grace of b");
    await clock.advance(200);
    assert.deepEqual(
      windows.map((w) => w.jobs.join(" ")),
      ["a@0 b@1"],
    );
    stop.abort();
    await clock.advance(1000);
    await running;
  });
});

describe("FetchAhead", () => {
  it("fetches one job for a closed window, doubles while the queue keeps up, and drops back to one", () => {
    const f = new FetchAhead(8);
    assert.equal(f.want(false, 100), 1);
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      const n = f.want(true, 100);
      seen.push(n);
      f.record(n, n);
    }
    assert.deepEqual(seen, [1, 2, 4, 8, 8]);
    assert.equal(f.want(true, 3), 3, "never more than the room left in the window");
    f.record(2, 8);
    assert.equal(f.want(true, 100), 1);
  });
});
