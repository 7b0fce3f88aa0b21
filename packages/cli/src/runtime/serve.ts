/**
 * Runs some pipeline stages in this process until SIGTERM/SIGINT: ops server, start order consumers
 * first (notifier, committer, watcher), readiness, and the bounded shutdown in the reverse order
 * (the watcher flushes to Redis, the committer commits and acknowledges its open window).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { CliError, ExitCodes, oneLine } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import type { RuntimeContext } from "./context.js";
import { startOpsServer } from "./ops-server.js";
import { buildCommitter, buildNotifier, buildWatcher, eventsQueueCounter } from "./pipeline.js";
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

  const watcher = stages.watcher ? buildWatcher(ctx, registry) : undefined;
  const committer = stages.committer ? await buildCommitter(ctx, registry, io, true) : undefined;
  const notifier = stages.notifier ? buildNotifier(ctx, registry, io) : undefined;
  if (watcher) gate.require("watcher", "first list of every type not yet done");
  if (watcher && committer) gate.require("committed", "first sync not yet committed");
  if (committer) gate.require("committer", "committer not started");
  if (notifier) gate.require("notifier", "notifier not started");

  let server;
  try {
    server = await startOpsServer({ listen: ctx.config.server.listen, registry, readiness: gate, logger });
  } catch (err) {
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
    if (committer) {
      await committer.start();
      started.unshift(["committer", () => committer.stop()]);
      gate.done("committer");
    }
    if (watcher) {
      await watcher.start();
      started.unshift(["watcher", () => watcher.stop()]);
      void trackInitialSync(ctx, watcher, committer !== undefined, gate, stopping.signal).catch(
        (err: unknown) => {
          fatal = err;
          stopping.abort();
        },
      );
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
  }
  if (fatal !== undefined) {
    if (fatal instanceof CliError) throw fatal;
    throw new CliError(oneLine(fatal), ExitCodes.failure, { cause: fatal });
  }
  logger.info({}, "shiplog stopped");
}

async function trackInitialSync(
  ctx: RuntimeContext,
  watcher: { initialSyncDone(): Promise<void> },
  withCommitter: boolean,
  gate: ReadinessGate,
  signal: AbortSignal,
): Promise<void> {
  await watcher.initialSyncDone();
  gate.done("watcher");
  ctx.logger.info({}, "initial list of every type done");
  if (!withCommitter) return;
  const counter = eventsQueueCounter(ctx);
  try {
    while (!signal.aborted) {
      const pending = await counter.pending().catch((err: unknown) => {
        // Redis is down for a moment: stay not-ready and ask again; the stages retry on their own.
        ctx.logger.warn({ err }, "cannot count pending events");
        return -1;
      });
      if (pending === 0) {
        gate.done("committed");
        ctx.logger.info({}, "initial sync committed: ready");
        return;
      }
      await sleep(250, undefined, { signal }).catch(() => undefined);
    }
  } finally {
    await counter.close();
  }
}
