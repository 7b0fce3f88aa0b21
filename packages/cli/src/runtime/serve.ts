/**
 * Runs some pipeline stages in this process until SIGTERM/SIGINT: ops server, start order consumers
 * first (notifier, committer, watcher), readiness, and the bounded shutdown in the reverse order
 * (the watcher flushes to Redis, the committer commits and acknowledges its open window).
 */
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CliError, ExitCodes, oneLine } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import { redisConnection, type RuntimeContext } from "./context.js";
import type { EventsProgress } from "./events-progress.js";
import { eventsProgress } from "./events-progress.js";
import { HealthTracker } from "./health.js";
import type { HealthVerdict } from "./health.js";
import { startOpsServer } from "./ops-server.js";
import { buildCommitter, buildNotifier, buildWatcher } from "./pipeline.js";
import { ReadinessGate } from "./readiness.js";
import { createRegistry } from "./registry.js";
import { boundedShutdown, waitForSignal } from "./shutdown.js";

export interface Stages {
  watcher: boolean;
  committer: boolean;
  notifier: boolean;
}

export interface ServeOptions {
  /** @defaultValue 30000 */
  shutdownTimeoutMs?: number;
  /** V8 flags applied at start (logged). */
  v8Flags?: readonly string[];
  /** How often the stages' progress (and the events queue's backlog) is sampled. @defaultValue 5000 */
  healthSampleMs?: number;
}

export async function serve(
  ctx: RuntimeContext,
  io: CliIo,
  stages: Stages,
  opts: ServeOptions = {},
): Promise<void> {
  const { logger } = ctx;
  const registry = createRegistry();
  const gate = new ReadinessGate();
  const { signal, dispose } = waitForSignal(io);
  const stopping = new AbortController();

  const fresh = stages.watcher && stages.committer && repoWithoutHistory(ctx, io);
  if (fresh && ctx.config.watch.resume)
    logger.info({}, "the repository has no history yet: listing every type instead of resuming");
  const watcher = stages.watcher ? buildWatcher(ctx, registry, fresh) : undefined;
  const built = stages.committer ? await buildCommitter(ctx, registry, io, true) : undefined;
  const committer = built?.committer;
  const attribution = built?.attribution;
  const notifier = stages.notifier ? buildNotifier(ctx, registry, io) : undefined;
  if (watcher) gate.require("watcher", "first list of every type not yet done");
  if (watcher && committer) gate.require("committed", "first sync not yet committed");
  if (committer) gate.require("committer", "committer not started");
  if (attribution) gate.require("attribution", "attribution receiver not listening");
  if (notifier) gate.require("notifier", "notifier not started");
  const tracker = new HealthTracker(ctx.config.server.stuckAfter);
  const progress = committer
    ? eventsProgress(redisConnection(ctx), ctx.config.redis.prefix, logger)
    : undefined;
  let verdict: HealthVerdict = { healthy: true };
  let queued: number | undefined;
  let sampling = false;
  const sample = async (): Promise<void> => {
    if (sampling) return;
    sampling = true;
    try {
      // Redis down for a moment: keep the last count; the committer's own progress still shows.
      queued = progress ? await progress.pending().catch(() => queued) : undefined;
      verdict = tracker.observe({
        now: Date.now(),
        committer: committer ? { status: committer.status(), queued } : undefined,
        watcher: watcher?.status(),
      });
    } finally {
      sampling = false;
    }
  };
  const sampler = setInterval(
    () => void sample(),
    opts.healthSampleMs ?? Math.min(5000, Math.ceil(ctx.config.server.stuckAfter / 4)),
  );
  sampler.unref();

  let server;
  try {
    server = await startOpsServer({
      listen: ctx.config.server.listen,
      registry,
      readiness: gate,
      health: { unhealthyReason: () => verdict.reason },
      logger,
    });
  } catch (err) {
    clearInterval(sampler);
    await progress?.close().catch((e: unknown) => logger.warn({ err: e }, "closing the events queue probe"));
    throw new CliError(
      `cannot listen on ${ctx.config.server.listen} (server.listen): ${oneLine(err)}`,
      ExitCodes.config,
      { cause: err },
    );
  }
  const started: Array<readonly [string, () => Promise<void>]> = [];
  let fatal: unknown;
  const onFatal = new Promise<void>((resolve) => {
    stopping.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  try {
    if (notifier) {
      await notifier.start();
      started.unshift(["notifier", () => notifier.stop()]);
      gate.done("notifier");
    }
    if (attribution) {
      // Before the committer: identities of the first changes must already have somewhere to go.
      await attribution.start();
      const offHup = io.onSignal("SIGHUP", () => {
        attribution
          .reloadCertificates()
          .then(() => logger.info({}, "attribution receiver: serving certificate reloaded"))
          .catch((err: unknown) =>
            logger.error({ err: oneLine(err) }, "attribution receiver: reloading the certificate failed"),
          );
      });
      started.unshift([
        "attribution receiver",
        () => {
          offHup();
          return attribution.stop();
        },
      ]);
      gate.done("attribution");
    }
    if (committer) {
      await committer.start();
      started.unshift(["committer", () => committer.stop()]);
      gate.done("committer");
    }
    if (watcher) {
      await watcher.start();
      started.unshift(["watcher", () => watcher.stop()]);
      void trackInitialSync(ctx, watcher, progress, gate, stopping.signal).catch((err: unknown) => {
        fatal = err;
        stopping.abort();
      });
    }
    logger.info(
      {
        cluster: ctx.cluster,
        stages: Object.entries(stages)
          .filter(([, on]) => on)
          .map(([n]) => n),
        ops: server.address,
        ...(opts.v8Flags && opts.v8Flags.length > 0 ? { v8Flags: opts.v8Flags.join(" ") } : {}),
      },
      "shiplog running",
    );
    const got = await Promise.race([signal, onFatal.then(() => undefined)]);
    if (got !== undefined) logger.info({ signal: got }, "shutting down: finishing the current window");
  } catch (err) {
    fatal = err;
  } finally {
    dispose();
    clearInterval(sampler);
    server.markStopping();
    stopping.abort();
    try {
      await boundedShutdown(
        [...started, ["ops server", () => server.close()]],
        opts.shutdownTimeoutMs !== undefined
          ? { io, logger, timeoutMs: opts.shutdownTimeoutMs }
          : { io, logger },
      );
    } catch (err) {
      fatal ??= err;
    }
    await progress?.close().catch((err: unknown) => logger.warn({ err }, "closing the events queue probe"));
  }
  if (fatal !== undefined) {
    if (fatal instanceof CliError) throw fatal;
    throw new CliError(oneLine(fatal), ExitCodes.failure, { cause: fatal });
  }
  logger.info({}, "shiplog stopped");
}

/**
 * Whether this process's committer starts from nothing: no commit on the branch and no remote to
 * restore history from. A resumed watch would then record only what changes from now on.
 */
function repoWithoutHistory(ctx: RuntimeContext, io: CliIo): boolean {
  if (ctx.config.repo.remote !== undefined) return false;
  try {
    execFileSync(
      "git",
      [
        "--git-dir",
        resolve(io.cwd, ctx.config.repo.path),
        "rev-parse",
        "--verify",
        "--quiet",
        `refs/heads/${ctx.config.repo.branch}^{commit}`,
      ],
      { stdio: "ignore", timeout: 10_000 },
    );
    return false;
  } catch {
    return true; // no repository, no branch, or no git: list (the safe side)
  }
}

/**
 * Readiness: every type listed once, and every event enqueued by then (the first sync) committed. Not
 * "queue empty", which never happens under constant churn: the events queue's id counter is read once
 * the watcher has handed its first sync to Redis, and later events do not delay readiness.
 */
async function trackInitialSync(
  ctx: RuntimeContext,
  watcher: { initialSyncDone(): Promise<void>; status(): { buffered: number } },
  progress: EventsProgress | undefined,
  gate: ReadinessGate,
  signal: AbortSignal,
): Promise<void> {
  await watcher.initialSyncDone();
  gate.done("watcher");
  ctx.logger.info({}, "every type listed (or its watch resumed)");
  if (!progress) return;
  let mark: number | undefined;
  while (!signal.aborted) {
    try {
      if (mark === undefined && watcher.status().buffered === 0) mark = await progress.watermark();
      if (mark !== undefined && (await progress.doneUpTo(mark))) {
        gate.done("committed");
        ctx.logger.info({ upToEvent: mark }, "initial sync committed: ready");
        return;
      }
    } catch (err) {
      // Redis is down for a moment: stay not-ready and ask again; the stages retry on their own.
      ctx.logger.warn({ err }, "cannot read the events queue's progress");
    }
    await sleep(250, undefined, { signal }).catch(() => undefined);
  }
}
