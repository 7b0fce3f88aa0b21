/**
 * Builds the pipeline stages from the one validated config. Files the config names (token, webhook
 * URL and secret files) are read here, by the CLI, and passed down as values.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigError, parseConfig, type SinkConfig, type SinkTarget } from "@shiplog/core";
import type { Committer } from "@shiplog/committer";
import { createNotifierMetrics, Notifier } from "@shiplog/notifier";
import { createWatcherMetrics, Watcher } from "@shiplog/watcher";
import type { Registry } from "prom-client";
import { CliError, ExitCodes } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import type { RuntimeContext } from "./context.js";
import { redisConnection, watchSelection } from "./context.js";
import { loadNative } from "./lazy.js";
import { buildAttribution, type AttributionStage } from "./attribution.js";

function readSecretFile(field: string, path: string, cwd: string): string {
  try {
    return readFileSync(resolve(cwd, path), "utf8").trim();
  } catch (err) {
    throw new CliError(`${field} ${path} is not readable`, ExitCodes.config, { cause: err });
  }
}

/**
 * `freshRepo`: the committer of this process starts on a repository without history (a first start,
 * or a lost volume and no remote to restore it from); the watcher then lists every type even where it
 * could resume, or the new history would lack every object that did not change since.
 */
export function buildWatcher(ctx: RuntimeContext, registry: Registry, freshRepo = false): Watcher {
  if (ctx.kc === undefined || ctx.canonicalizer === undefined)
    throw new Error("buildWatcher: context lacks kube/canonicalizer");
  const sel = watchSelection(ctx);
  return new Watcher({
    kubeConfig: ctx.kc,
    queue: { connection: redisConnection(ctx), prefix: ctx.config.redis.prefix },
    canonicalizer: ctx.canonicalizer,
    include: sel.include,
    exclude: sel.exclude,
    // Types the preflight found forbidden are not watched but still recorded: their files stay.
    forbidden: ctx.access?.denied.map((d) => d.type) ?? [],
    ...(ctx.config.watch.labelSelector !== "" ? { labelSelector: ctx.config.watch.labelSelector } : {}),
    ...(ctx.config.watch.resume && ctx.resumeScope !== undefined
      ? { resume: { scope: ctx.resumeScope, ...(freshRepo ? { ignoreStored: true } : {}) } }
      : {}),
    pageSize: ctx.config.watch.pageSize,
    maxBuffered: ctx.config.watch.maxBuffered,
    maxBufferedBytes: ctx.config.watch.maxBufferedBytes,
    rediscoverIntervalMs: ctx.config.watch.rediscoverInterval,
    logger: ctx.logger.child({ component: "watcher" }),
    metrics: createWatcherMetrics(registry),
  });
}

/**
 * The committer needs nodegit (native): imported only by processes that commit (see ADR 0042). With
 * `attribution.sources` set, the attribution stage (receiver and author lookup) comes with it.
 */
export async function buildCommitter(
  ctx: RuntimeContext,
  registry: Registry,
  io: CliIo,
  publish: boolean,
): Promise<{ committer: Committer; attribution: AttributionStage | undefined }> {
  const { Committer, createCommitterMetrics, FieldManagerAttribution } = await loadNative(
    "the committer",
    () => import("@shiplog/committer"),
  );
  const cfg = ctx.config;
  const remote = cfg.repo.remote;
  const attribution = buildAttribution(
    ctx,
    registry,
    io.cwd,
    new FieldManagerAttribution(cfg.repo.authorDomain),
  );
  const committer = new Committer({
    repoPath: resolve(io.cwd, cfg.repo.path),
    branch: cfg.repo.branch,
    cluster: ctx.cluster,
    queue: { connection: redisConnection(ctx), prefix: cfg.redis.prefix },
    quietPeriodMs: cfg.committer.quietPeriod,
    maxWindowMs: cfg.committer.maxWindow,
    lockTtlMs: cfg.committer.lockTtl,
    maxWindowEvents: cfg.committer.maxWindowEvents,
    maxWindowBytes: cfg.committer.maxWindowBytes,
    authorDomain: cfg.repo.authorDomain,
    ...(attribution !== undefined ? { attribution: attribution.attribution } : {}),
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
            ...(remote.caFile !== undefined ? { caFile: resolve(io.cwd, remote.caFile) } : {}),
            ...(remote.insecureAcceptUnknownHostKey ? { insecureAcceptUnknownHostKey: true } : {}),
            ...(remote.tokenFile !== undefined
              ? { token: readSecretFile("repo.remote.tokenFile", remote.tokenFile, io.cwd) }
              : {}),
          },
        }
      : {}),
    logger: ctx.logger.child({ component: "committer" }),
    metrics: createCommitterMetrics(registry),
    failpoints: ctx.failpoints,
  });
  return { committer, attribution };
}

/** A sink as the notifier takes it: the config's sink with its URL and secret files read. */
function sinkTarget(s: SinkConfig, i: number, cwd: string): SinkTarget {
  const { url, urlFile, secret, secretFile, ...rest } = s;
  const secretValue =
    secret ??
    (secretFile !== undefined
      ? readSecretFile(`notifier.sinks[${i}].secretFile`, secretFile, cwd)
      : undefined);
  return {
    ...rest,
    url: url ?? readSecretFile(`notifier.sinks[${i}].urlFile`, urlFile ?? "", cwd),
    ...(secretValue !== undefined ? { secret: secretValue } : {}),
  };
}

/**
 * The sinks with their files read. What was read gets core's sink rules too (an http(s) URL, a signing
 * secret of at least 16 bytes): the targets are checked by the schema with the values inline, and an
 * error names the file the bad value came from.
 */
export function sinkTargets(sinks: readonly SinkConfig[], cwd: string): SinkTarget[] {
  const targets = sinks.map((s, i) => sinkTarget(s, i, cwd));
  try {
    parseConfig({ notifier: { sinks: targets } });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const m = /^notifier\.sinks\[(\d+)\]\.(url|secret)$/.exec(err.field);
    const sink = m === null ? undefined : sinks[Number(m[1])];
    const file = m?.[2] === "url" ? sink?.urlFile : sink?.secretFile;
    throw file !== undefined ? err.withSource(file) : err;
  }
  return targets;
}

export function buildNotifier(ctx: RuntimeContext, registry: Registry, io: CliIo): Notifier {
  const cfg = ctx.config;
  return new Notifier({
    queue: { connection: redisConnection(ctx), prefix: cfg.redis.prefix },
    sinks: sinkTargets(cfg.notifier.sinks, io.cwd),
    ...(cfg.notifier.commitUrlTemplate !== undefined
      ? { commitUrlTemplate: cfg.notifier.commitUrlTemplate }
      : {}),
    logger: ctx.logger.child({ component: "notifier" }),
    metrics: createNotifierMetrics(registry),
  });
}
