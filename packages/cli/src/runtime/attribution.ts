/**
 * The attribution stage: the HTTPS receiver the apiserver sends identities to, and the committer's
 * author lookup, both over one Redis client of their own. Built only when `attribution.sources` is
 * not empty; it runs in the processes that commit (`shiplog run`, `shiplog commit`), so every
 * committer replica also receives (any replica may take the apiserver's requests: the records meet
 * in Redis).
 */
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import {
  AttributionReceiver,
  attributionRecorder,
  createAttributionMetrics,
  IdentityAttribution,
  IdentityStore,
} from "@shiplog/attribution";
import type { AttributionMetrics } from "@shiplog/attribution";
import type { Author, ChangeMessage, ShiplogConfig } from "@shiplog/core";
import { AttributionSources, logRedisErrors } from "@shiplog/core";
import { Redis } from "ioredis";
import type { Registry } from "prom-client";
import { CliError, ExitCodes, oneLine } from "../cli-error.js";
import { redisConnection, type RuntimeContext } from "./context.js";

export interface AttributionStage {
  /** For `new Committer({ attribution })`. */
  readonly attribution: IdentityAttribution;
  readonly metrics: AttributionMetrics;
  /** Connects to Redis and starts listening; a port in use is a config error naming the key. */
  start(): Promise<void>;
  /** Re-reads the serving certificate (SIGHUP; also on its own when the files change). */
  reloadCertificates(): Promise<void>;
  stop(): Promise<void>;
}

/** The accepted bearer tokens: one per line; blank lines and `#` comments are ignored. */
export function readTokens(path: string, cwd: string): string[] {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, path), "utf8");
  } catch (err) {
    throw new CliError(`attribution.receiver.tokenFile ${path} is not readable`, ExitCodes.config, {
      cause: err,
    });
  }
  const tokens = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  if (tokens.length === 0)
    throw new CliError(`attribution.receiver.tokenFile ${path} holds no token`, ExitCodes.config);
  return tokens;
}

/** How often the serving certificate's files are checked for a renewal (cert-manager, a rotated Secret). */
const CERT_CHECK_MS = 60_000;

/** Modification times of the files, to notice a renewed certificate (a Secret volume swaps a symlink). */
function stamp(files: readonly string[]): string {
  return files
    .map((f) => {
      try {
        return String(statSync(f).mtimeMs);
      } catch {
        return "missing";
      }
    })
    .join("/");
}

/** Host and port of `host:port` (`[::]:9443` too). */
function splitListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(":");
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(listen.slice(i + 1)) };
}

export function buildAttribution(
  ctx: RuntimeContext,
  registry: Registry,
  cwd: string,
  fallback: { authorFor(change: ChangeMessage): Author | Promise<Author> },
): AttributionStage | undefined {
  const cfg: ShiplogConfig["attribution"] = ctx.config.attribution;
  if (cfg.sources.length === 0) return undefined;
  const r = cfg.receiver;
  const logger = ctx.logger.child({ component: "attribution" });
  const file = (p: string | undefined): string | undefined => (p === undefined ? undefined : resolve(cwd, p));
  const tokens = r.tokenFile === undefined ? [] : readTokens(r.tokenFile, cwd);
  // The schema guarantees both files when sources is not empty.
  const certFile = file(r.tlsCertFile) ?? "";
  const keyFile = file(r.tlsKeyFile) ?? "";
  for (const [key, path] of [
    ["attribution.receiver.tlsCertFile", certFile],
    ["attribution.receiver.tlsKeyFile", keyFile],
    ["attribution.receiver.clientCaFile", file(r.clientCaFile)],
  ] as const) {
    if (path === undefined) continue;
    try {
      readFileSync(path);
    } catch (err) {
      throw new CliError(`${key} ${path} is not readable`, ExitCodes.config, { cause: err });
    }
  }
  // Its own client: lookups and stores fail fast while Redis is away (the committer falls back to
  // the field manager, the apiserver gets 503 and retries) instead of queueing.
  const redis = new Redis({
    ...redisConnection(ctx),
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: true,
  });
  logRedisErrors(redis, logger, "attribution");
  const store = new IdentityStore({
    redis,
    prefix: ctx.config.redis.prefix,
    ttlMs: cfg.retention,
    logger,
  });
  const metrics = createAttributionMetrics(registry);
  const users = new Map(cfg.users.map((u) => [u.username, { name: u.name, email: u.email }]));
  const attribution = new IdentityAttribution({
    store,
    fallback,
    domain: ctx.config.repo.authorDomain,
    graceMs: cfg.grace,
    mapUser: (username) => users.get(username),
    onAttributed: attributionRecorder(metrics),
    logger,
  });
  const receiver = new AttributionReceiver({
    tls: { certFile, keyFile },
    endpoints: {
      audit: cfg.sources.includes(AttributionSources.audit),
      admission: cfg.sources.includes(AttributionSources.admission),
    },
    auth: {
      ...(tokens.length > 0 ? { bearerTokens: tokens } : {}),
      ...(r.clientCaFile !== undefined ? { clientCaFile: file(r.clientCaFile) } : {}),
    },
    admissionRequiresAuth: r.admissionRequiresAuth,
    maxBodyBytes: r.maxBodyBytes,
    store,
    metrics,
    logger,
  });
  let certStamp = stamp([certFile, keyFile]);
  let certTimer: ReturnType<typeof setInterval> | undefined;
  const reload = async (): Promise<void> => {
    await receiver.reloadCertificates();
    certStamp = stamp([certFile, keyFile]);
  };
  return {
    attribution,
    metrics,
    async start() {
      await redis.connect();
      const { host, port } = splitListen(r.listen);
      try {
        const bound = await receiver.listen(port, host);
        logger.info(
          { listen: `${host}:${bound}`, sources: cfg.sources, graceMs: cfg.grace },
          "attribution receiver listening",
        );
        certTimer = setInterval(() => {
          if (stamp([certFile, keyFile]) === certStamp) return;
          reload()
            .then(() => logger.info({}, "attribution receiver: renewed serving certificate loaded"))
            .catch((err: unknown) =>
              // A half-written pair: the next check tries again; the old certificate keeps serving.
              logger.warn(
                { err: oneLine(err) },
                "attribution receiver: cannot load the renewed certificate yet",
              ),
            );
        }, CERT_CHECK_MS);
        certTimer.unref();
      } catch (err) {
        throw new CliError(
          `cannot listen on ${r.listen} (attribution.receiver.listen): ${oneLine(err)}`,
          ExitCodes.config,
          { cause: err },
        );
      }
    },
    reloadCertificates: reload,
    async stop() {
      clearInterval(certTimer);
      await receiver.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
