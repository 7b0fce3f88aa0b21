/**
 * Builds the pipeline stages from the one validated config. Files the config names (token, webhook
 * URL and secret files) are read here, by the CLI, and passed down as values.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { QueueNames } from "@shiplog/core";
import type { Committer } from "@shiplog/committer";
import { createNotifierMetrics, Notifier, type SinkConfig } from "@shiplog/notifier";
import { createWatcherMetrics, Watcher } from "@shiplog/watcher";
import { Queue } from "bullmq";
import type { Registry } from "prom-client";
import { CliError, ExitCodes } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import type { RuntimeContext } from "./context.js";
import { watchSelection } from "./context.js";
import { loadNative } from "./lazy.js";
import { registerMetricGroup } from "./metrics-bridge.js";

function readSecretFile(field: string, path: string, cwd: string): string {
  try {
    return readFileSync(resolve(cwd, path), "utf8").trim();
  } catch (err) {
    throw new CliError(`${field} ${path} is not readable`, ExitCodes.config, { cause: err });
  }
}

export function buildWatcher(ctx: RuntimeContext, registry: Registry): Watcher {
  if (ctx.kc === undefined || ctx.canonicalizer === undefined)
    throw new Error("buildWatcher: context lacks kube/canonicalizer");
  const metrics = createWatcherMetrics();
  registerMetricGroup(registry, metrics);
  const sel = watchSelection(ctx);
  return new Watcher({
    kubeConfig: ctx.kc,
    queue: { connection: ctx.connection, prefix: ctx.config.redis.prefix },
    canonicalizer: ctx.canonicalizer,
    include: sel.include,
    exclude: sel.exclude,
    ...(ctx.config.watch.labelSelector !== "" ? { labelSelector: ctx.config.watch.labelSelector } : {}),
    pageSize: ctx.config.watch.pageSize,
    rediscoverIntervalMs: ctx.config.watch.rediscoverInterval,
    logger: ctx.logger.child({ component: "watcher" }),
    metrics,
  });
}

/** The committer needs nodegit (native): imported only by processes that commit (see ADR 0042). */
export async function buildCommitter(
  ctx: RuntimeContext,
  registry: Registry,
  io: CliIo,
  publish: boolean,
): Promise<Committer> {
  const { Committer, createCommitterMetrics } = await loadNative(
    "the committer",
    () => import("@shiplog/committer"),
  );
  const cfg = ctx.config;
  const remote = cfg.repo.remote;
  return new Committer({
    repoPath: resolve(io.cwd, cfg.repo.path),
    branch: cfg.repo.branch,
    cluster: ctx.cluster,
    queue: { connection: ctx.connection, prefix: cfg.redis.prefix },
    quietPeriodMs: cfg.committer.quietPeriod,
    maxWindowMs: cfg.committer.maxWindow,
    authorDomain: cfg.repo.authorDomain,
    publish,
    ...(remote !== undefined
      ? {
          remote: {
            url: remote.url,
            pushIntervalMs: remote.pushInterval,
            ...(remote.sshKeyFile !== undefined ? { sshKeyFile: resolve(io.cwd, remote.sshKeyFile) } : {}),
            ...(remote.sshKnownHostsFile !== undefined
              ? { knownHostsFile: resolve(io.cwd, remote.sshKnownHostsFile) }
              : {}),
            ...(remote.tokenFile !== undefined
              ? { token: readSecretFile("repo.remote.tokenFile", remote.tokenFile, io.cwd) }
              : {}),
          },
        }
      : {}),
    logger: ctx.logger.child({ component: "committer" }),
    metrics: createCommitterMetrics(registry),
  });
}

export function buildNotifier(ctx: RuntimeContext, registry: Registry, io: CliIo): Notifier {
  const cfg = ctx.config;
  const sinks: SinkConfig[] = cfg.notifier.sinks.map((s, i) => {
    const url = s.url ?? readSecretFile(`notifier.sinks[${i}].urlFile`, s.urlFile ?? "", io.cwd);
    const secret =
      s.secret ??
      (s.secretFile !== undefined
        ? readSecretFile(`notifier.sinks[${i}].secretFile`, s.secretFile, io.cwd)
        : undefined);
    return {
      name: s.name,
      type: s.type,
      url,
      ...(secret !== undefined ? { secret } : {}),
      routes: s.routes,
      rateLimit: s.rateLimit,
      maxAttempts: s.maxAttempts,
    };
  });
  return new Notifier({
    queue: { connection: ctx.connection, prefix: cfg.redis.prefix },
    sinks,
    ...(cfg.notifier.commitUrlTemplate !== undefined
      ? { commitUrlTemplate: cfg.notifier.commitUrlTemplate }
      : {}),
    logger: ctx.logger.child({ component: "notifier" }),
    metrics: createNotifierMetrics(registry),
  });
}

/** Counts messages still waiting for (or held by) the committer; `close()` when done. */
export function eventsQueueCounter(ctx: RuntimeContext): {
  pending(): Promise<number>;
  close(): Promise<void>;
} {
  const q = new Queue(QueueNames.events, { connection: ctx.connection, prefix: ctx.config.redis.prefix });
  return {
    pending: async () => {
      const c = await q.getJobCounts("waiting", "active", "delayed", "prioritized", "waiting-children");
      return Object.values(c).reduce((a, b) => a + b, 0);
    },
    close: () => q.close(),
  };
}
