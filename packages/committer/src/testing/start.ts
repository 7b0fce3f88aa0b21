import { after } from "node:test";
import { Committer } from "../committer.js";
import type { CommitterOptions } from "../options.js";
import { createCommitterMetrics } from "../metrics.js";
import type { CommitterMetrics } from "../metrics.js";
import { baseOptions, dropPrefix, EventProducer, MemoryLogger, uniquePrefix } from "./fixtures.js";

export interface TestCommitter {
  readonly committer: Committer;
  readonly logger: MemoryLogger;
  readonly metrics: CommitterMetrics;
}

/** A committer with short windows and locks, for tests. */
export function testCommitter(
  repoPath: string,
  prefix: string,
  extra: Partial<CommitterOptions> = {},
): TestCommitter {
  const logger = new MemoryLogger();
  const metrics = createCommitterMetrics();
  const committer = new Committer({
    ...baseOptions(repoPath, prefix),
    quietPeriodMs: 200,
    maxWindowMs: 3000,
    lockTtlMs: 5000,
    jobLockMs: 10000,
    stalledIntervalMs: 1000,
    authorDomain: "example.test",
    logger,
    metrics,
    ...extra,
  });
  return { committer, logger, metrics };
}

export interface RunningCommitter extends TestCommitter, AsyncDisposable {
  /** The watcher's side of the committer's events queue. */
  readonly producer: EventProducer;
}

/** A started `testCommitter` and a producer for its queue; `await using` stops and closes both. */
export async function startTestCommitter(
  repoPath: string,
  prefix: string,
  extra: Partial<CommitterOptions> = {},
): Promise<RunningCommitter> {
  const producer = new EventProducer(prefix);
  const t = testCommitter(repoPath, prefix, extra);
  await t.committer.start();
  return {
    ...t,
    producer,
    [Symbol.asyncDispose]: async () => {
      await t.committer.stop();
      await producer.close();
    },
  };
}

/**
 * Unique Redis key prefixes for the tests of one file (`const prefix = prefixesDroppedAfter()` at the
 * top level), every key under them deleted after the file's tests.
 */
export function prefixesDroppedAfter(): (name: string) => string {
  const made: string[] = [];
  after(async () => {
    for (const p of made) await dropPrefix(p);
  });
  return (name) => {
    const p = uniquePrefix(name);
    made.push(p);
    return p;
  };
}
