import { Committer } from "../committer.js";
import type { CommitterOptions } from "../options.js";
import { createCommitterMetrics } from "../metrics.js";
import { MemoryLogger, redisConnection } from "./fixtures.js";

/** A committer with short windows and locks, for tests. */
export function testCommitter(
  repoPath: string,
  prefix: string,
  extra: Partial<CommitterOptions> = {},
): { committer: Committer; logger: MemoryLogger; metrics: ReturnType<typeof createCommitterMetrics> } {
  const logger = new MemoryLogger();
  const metrics = createCommitterMetrics();
  const committer = new Committer({
    repoPath,
    cluster: "test-cluster",
    queue: { connection: redisConnection, prefix },
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
