/**
 * What every pipeline command sets up first, in this order, failing with one line at the first
 * problem: config (once), logger, kubeconfig, apiserver + RBAC pre-flight, Redis, the fingerprint key.
 */
import {
  createCanonicalizer,
  failpoints as armFailpoints,
  FAILPOINTS_ENV,
  SecretModeRegistry,
  type Canonicalizer,
  type Failpoints,
  type RedisConnectionOptions,
  type ShiplogConfig,
} from "@shiplog/core";
import type { CliIo } from "../cli-io.js";
import type { GlobalOptions } from "../commands/global-options.js";
import { resolveHmacKey } from "../config/hmac-key.js";
import { loadConfig, type LoadConfigOptions, type LoadedConfig } from "../config/load-config.js";
import { loadKubeconfig, type Kubeconfig } from "./kubeconfig.js";
import { resumeScope } from "./resume-scope.js";
import { checkAccess, type AccessReport } from "./preflight.js";
import { createLogger, type ProcessLogger } from "./process-logger.js";
import { checkRedis } from "./redis-check.js";
import { redisTarget } from "./redis-target.js";

export interface Needs {
  kube?: boolean;
  redis?: boolean;
  canonicalizer?: boolean;
}

export interface RuntimeContext {
  loaded: LoadedConfig;
  config: ShiplogConfig;
  logger: ProcessLogger;
  /** Cluster name: `cluster.name`, else the kube context's name. */
  cluster: string;
  kc?: Kubeconfig;
  access?: AccessReport;
  /** Set when `prepare` was asked for Redis: the one set of options every client is built from. */
  connection?: RedisConnectionOptions;
  canonicalizer?: Canonicalizer;
  /** What the watcher's resume points are valid under (see resume-scope.ts); set with the canonicalizer. */
  resumeScope?: string;
  /** Crash points a test armed with SHIPLOG_FAILPOINTS; none otherwise. */
  failpoints: Failpoints;
}

export async function prepare(
  g: GlobalOptions,
  io: CliIo,
  needs: Needs,
  configOpts: LoadConfigOptions = {},
): Promise<RuntimeContext> {
  const loaded = loadConfig(g, io, configOpts);
  const config = loaded.config;
  const logger = createLogger({ level: config.log.level });
  const failpoints = armFailpoints(io.env[FAILPOINTS_ENV]);
  if (failpoints.armed.size > 0)
    logger.warn(
      { failpoints: Object.fromEntries(failpoints.armed) },
      `${FAILPOINTS_ENV} is set: this process will crash on purpose at the named points (for tests only)`,
    );
  let kc: Kubeconfig | undefined;
  let access: AccessReport | undefined;
  if (needs.kube === true) {
    kc = loadKubeconfig(config.kubernetes, io.env);
    access = await checkAccess(kc, config);
    if (access.denied.length > 0) {
      logger.warn(
        { types: access.denied.map((d) => d.type), count: access.denied.length },
        "the kubeconfig user may not list/watch some types; they are not recorded (shiplog doctor shows how to fix)",
      );
    }
  }
  // Reads the password, user and certificate files once: a missing or wrong one is a config error.
  // Commands that do not talk to Redis (snapshot) do not need those files.
  const redis = needs.redis === true ? redisTarget(config.redis, io.cwd) : undefined;
  if (redis !== undefined) {
    await checkRedis(redis);
    logger.debug({ redis: redis.label, prefix: config.redis.prefix }, "redis reachable");
  }
  const cluster = config.cluster.name !== "" ? config.cluster.name : (kc?.getCurrentContext() ?? "default");
  const ctx: RuntimeContext = {
    loaded,
    config,
    logger,
    cluster,
    failpoints,
    ...(redis !== undefined ? { connection: redis.connection } : {}),
    ...(kc !== undefined ? { kc } : {}),
    ...(access !== undefined ? { access } : {}),
  };
  if (needs.canonicalizer === true) {
    const mode = config.secrets.mode;
    const key = SecretModeRegistry[mode].needsHmacKey
      ? resolveHmacKey(config, { cwd: io.cwd, env: io.env, homeDir: io.homeDir })
      : undefined;
    if (key?.generated === true) {
      logger.warn(
        { file: key.source },
        `generated a new fingerprint key for ${mode} mode; back it up (losing it changes every fingerprint)`,
      );
    }
    for (const w of key?.warnings ?? []) logger.warn({ file: key?.source }, w);
    ctx.canonicalizer = createCanonicalizer({
      normalize: config.normalize,
      secrets: config.secrets,
      ...(key !== undefined ? { hmacKey: key.key } : {}),
      watch: { include: config.watch.include, exclude: config.watch.exclude },
      cluster,
    });
    ctx.resumeScope = resumeScope(config, watchSelection(ctx), key?.key);
  }
  return ctx;
}

/** The Redis connection options of a context prepared with `redis: true`. */
export function redisConnection(ctx: RuntimeContext): RedisConnectionOptions {
  if (ctx.connection === undefined) throw new Error("prepare() was not asked for redis");
  return ctx.connection;
}

/** Watch selection from config plus the types the user may not list (left out rather than failing). */
export function watchSelection(ctx: RuntimeContext): {
  include: ShiplogConfig["watch"]["include"];
  exclude: ShiplogConfig["watch"]["exclude"];
} {
  const denied = ctx.access?.denied.map((d) => d.type) ?? [];
  return {
    include: ctx.config.watch.include,
    exclude: { ...ctx.config.watch.exclude, resources: [...ctx.config.watch.exclude.resources, ...denied] },
  };
}
