import { accessSync, constants, existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { maskUrlCredentials, SecretModeRegistry, type ShiplogConfig } from "@shiplog/core";
import { identityToRecipient } from "age-encryption";
import { CliError, ExitCodes, oneLine, reportOf } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import { SOPS_AGE_KEY_FILE_ENV } from "../config/env-vars.js";
import { defaultHmacKeyFile, resolveHmacKey } from "../config/hmac-key.js";
import { loadConfig } from "../config/load-config.js";
import { git, hasCommits } from "../git/git-cli.js";
import { readAgeIdentities } from "../restore/age-identity.js";
import { serverOf } from "../runtime/kube.js";
import { loadKubeconfig } from "../runtime/kubeconfig.js";
import { checkAccess, RBAC_HINT } from "../runtime/preflight.js";
import {
  askSentinels,
  inspectRedis,
  REQUIRED_MAXMEMORY_POLICY,
  type MaxmemoryPolicy,
  type RedisInspection,
} from "../runtime/redis-check.js";
import { explainRedisFailure, RedisCheckError } from "../runtime/redis-errors.js";
import { redisTarget, type RedisTarget } from "../runtime/redis-target.js";
import { remoteGitEnv } from "../runtime/remote-env.js";
import { globalsOf } from "../commands/global-options.js";

type Status = "ok" | "warn" | "fail";
interface Finding {
  check: string;
  status: Status;
  message: string;
  fix?: string;
}

const MARK: Record<Status, string> = { ok: "ok  ", warn: "WARN", fail: "FAIL" };

export async function doctorAction(io: CliIo, opts: { output: string }, cmd: Command): Promise<void> {
  const findings: Finding[] = [];
  const add = (f: Finding): void => {
    findings.push(f);
    if (opts.output !== "json") {
      io.stdout.write(`[${MARK[f.status]}] ${f.check}: ${f.message}\n`);
      if (f.fix !== undefined && f.status !== "ok") io.stdout.write(`       fix: ${f.fix}\n`);
    }
  };
  let cfg: ShiplogConfig;
  try {
    cfg = loadConfig(globalsOf(cmd), io, { namespaceFilter: true }).config;
    add({ check: "config", status: "ok", message: "valid" });
  } catch (err) {
    add({
      check: "config",
      status: "fail",
      message: (await reportOf(err)).line ?? oneLine(err),
      fix: "correct the named key (shiplog config print --show-sources)",
    });
    return finish(io, opts.output, findings);
  }
  await checkKube(cfg, io, add);
  await checkRedisFinding(cfg, io, add);
  await checkRepo(cfg, io, add);
  await checkRemote(cfg, io, add);
  await checkKeys(cfg, io, add);
  await checkAttribution(cfg, io, add);
  finish(io, opts.output, findings);
}

function finish(io: CliIo, output: string, findings: Finding[]): void {
  const failed = findings.filter((f) => f.status === "fail").length;
  const warned = findings.filter((f) => f.status === "warn").length;
  if (output === "json") io.stdout.write(`${JSON.stringify({ findings, failed, warned }, null, 2)}\n`);
  else
    io.stdout.write(
      `${failed === 0 ? "all checks passed" : `${failed} check(s) failed`}${warned > 0 ? `, ${warned} warning(s)` : ""}\n`,
    );
  if (failed > 0) throw new CliError(`doctor: ${failed} check(s) failed`, ExitCodes.failure);
}

async function checkKube(cfg: ShiplogConfig, io: CliIo, add: (f: Finding) => void): Promise<void> {
  let kc;
  try {
    kc = loadKubeconfig(cfg.kubernetes, io.env);
    add({
      check: "kubeconfig",
      status: "ok",
      message: `context "${kc.getCurrentContext()}", server ${serverOf(kc)}`,
    });
  } catch (err) {
    add({
      check: "kubeconfig",
      status: "fail",
      message: oneLine(err),
      fix: "pass --kubeconfig/--context or set KUBECONFIG",
    });
    return;
  }
  try {
    const r = await checkAccess(kc, cfg);
    add({ check: "apiserver", status: "ok", message: `reachable, Kubernetes ${r.serverVersion}` });
    if (r.denied.length === 0) {
      add({
        check: "rbac",
        status: "ok",
        message: `may list and watch all ${r.allowed.length} resource types in scope`,
      });
    } else {
      const shown = r.denied.slice(0, 8).map((d) => `${d.type} (${d.verb})`);
      add({
        check: "rbac",
        status: "warn",
        message: `may list and watch ${r.allowed.length} of ${r.wanted.length} types; not: ${shown.join(", ")}${r.denied.length > 8 ? ` and ${r.denied.length - 8} more` : ""}`,
        fix: `${RBAC_HINT}, or exclude those types (watch.exclude.resources)`,
      });
    }
    if (r.failedGroups.length > 0) {
      add({
        check: "discovery",
        status: "warn",
        message: `unavailable API groups: ${r.failedGroups.join(", ")}`,
        fix: "check the APIService of those groups (kubectl get apiservices)",
      });
    }
  } catch (err) {
    const status = err instanceof CliError && err.exitCode === ExitCodes.forbidden ? "rbac" : "apiserver";
    add({
      check: status,
      status: "fail",
      message: oneLine(err),
      fix: status === "rbac" ? RBAC_HINT : "check the server URL, network and credentials of the kubeconfig",
    });
  }
}

/**
 * Redis: the Sentinels (when configured) and the master they name, then one connection that checks
 * TLS, authentication, the user's permissions and the eviction policy. A line per configured feature
 * (`redis sentinel`, `redis tls`, `redis auth`), so a failure names the part that failed.
 */
async function checkRedisFinding(cfg: ShiplogConfig, io: CliIo, add: (f: Finding) => void): Promise<void> {
  let target: RedisTarget;
  try {
    target = redisTarget(cfg.redis, io.cwd);
  } catch (err) {
    add({
      check: "redis",
      status: "fail",
      message: (await reportOf(err)).line ?? oneLine(err),
      fix: "mount the file or correct the named key",
    });
    return;
  }
  const r = cfg.redis;
  if (r.sentinel !== undefined && !(await checkSentinelFinding(r.sentinel.masterName, target, add))) return;
  let seen: RedisInspection;
  try {
    seen = await inspectRedis(target, r.prefix);
  } catch (err) {
    const failure =
      err instanceof RedisCheckError
        ? err.failure
        : { kind: "network" as const, text: oneLine(err), fix: "" };
    const check = failure.kind === "tls" ? "redis tls" : failure.kind === "auth" ? "redis auth" : "redis";
    add({ check, status: "fail", message: oneLine(err), fix: failure.fix });
    return;
  }
  add({
    check: "redis",
    status: "ok",
    message: `${target.label} answers PING${r.sentinel !== undefined && seen.address !== undefined ? ` (master at ${seen.address})` : ""} (prefix "${r.prefix}")`,
  });
  if (target.connection.tls !== undefined) add(tlsFinding(cfg, seen));
  const authConfigured = target.connection.username !== undefined || target.connection.password !== undefined;
  if (authConfigured || seen.permissionProblem !== undefined) {
    const as = seen.user !== undefined ? `as user "${seen.user}"` : "(ACL WHOAMI not permitted)";
    const from =
      r.passwordFile !== undefined
        ? " with redis.passwordFile"
        : authConfigured
          ? " with the URL's password"
          : "";
    add(
      seen.permissionProblem === undefined
        ? {
            check: "redis auth",
            status: "ok",
            message: `authenticated ${as}${from}; may run BullMQ's scripts under "${r.prefix}:"`,
          }
        : {
            check: "redis auth",
            status: "fail",
            message: `authenticated ${as}, but ${explainRedisFailure(seen.permissionProblem, { tls: false, clientCert: false, prefix: r.prefix }).text}`,
            fix: explainRedisFailure(seen.permissionProblem, {
              tls: false,
              clientCert: false,
              prefix: r.prefix,
            }).fix,
          },
    );
  }
  add(evictionFinding(seen.policy));
}

function tlsFinding(cfg: ShiplogConfig, seen: RedisInspection): Finding {
  const t = cfg.redis.tls;
  const protocol = seen.tlsProtocol ?? "TLS";
  if (t.insecureSkipVerify)
    return {
      check: "redis tls",
      status: "warn",
      message: `${protocol}, but the server's certificate is not verified (redis.tls.insecureSkipVerify)`,
      fix: "set redis.tls.caFile and turn insecureSkipVerify off outside tests",
    };
  const against =
    t.caFile !== undefined ? `the CA in redis.tls.caFile ${t.caFile}` : "the system trust store";
  const name = t.serverName !== undefined ? ` for name "${t.serverName}"` : "";
  const client = t.certFile !== undefined ? "; client certificate accepted" : "";
  return {
    check: "redis tls",
    status: "ok",
    message: `${protocol} handshake verified against ${against}${name}${client}`,
  };
}

/** Asks each Sentinel for the master; false when none names it (the connection check is skipped). */
async function checkSentinelFinding(
  masterName: string,
  target: RedisTarget,
  add: (f: Finding) => void,
): Promise<boolean> {
  const answers = await askSentinels(target);
  const found = answers.filter((a) => a.master !== undefined);
  const problems = answers.flatMap((a) => (a.master === undefined ? [`${a.sentinel}: ${a.problem}`] : []));
  const masters = [...new Set(found.map((a) => a.master))];
  if (found.length === 0) {
    add({
      check: "redis sentinel",
      status: "fail",
      message: `no Sentinel names master "${masterName}" (${problems.join("; ")})`,
      fix: "check redis.sentinel.sentinels, redis.sentinel.masterName and redis.sentinel.passwordFile",
    });
    return false;
  }
  const first = found[0];
  add({
    check: "redis sentinel",
    status: problems.length > 0 || masters.length > 1 ? "warn" : "ok",
    message: `${found.length} of ${answers.length} Sentinel(s) reachable; master "${masterName}" is at ${masters.join(" or ")}${first !== undefined ? ` (from ${first.sentinel})` : ""}${problems.length > 0 ? `; ${problems.join("; ")}` : ""}${masters.length > 1 ? "; the Sentinels disagree (failover in progress?)" : ""}`,
    fix: "bring the unreachable Sentinels back, or remove them from redis.sentinel.sentinels",
  });
  return true;
}

/** BullMQ keeps the queue in Redis keys: a Redis that evicts when full loses jobs without an error. */
function evictionFinding(p: MaxmemoryPolicy): Finding {
  const fix = `set maxmemory-policy ${REQUIRED_MAXMEMORY_POLICY} in the server's configuration (redis.conf, CONFIG SET and CONFIG REWRITE, or a managed Redis's parameter group)`;
  if (p.policy === undefined) {
    return {
      check: "redis eviction",
      status: "warn",
      message: `cannot read maxmemory-policy (${p.why}); shiplog needs ${REQUIRED_MAXMEMORY_POLICY}`,
      fix: `make sure the server runs with maxmemory-policy ${REQUIRED_MAXMEMORY_POLICY}`,
    };
  }
  if (p.policy === REQUIRED_MAXMEMORY_POLICY) {
    return { check: "redis eviction", status: "ok", message: `maxmemory-policy ${p.policy} (${p.from})` };
  }
  return {
    check: "redis eviction",
    status: "warn",
    message: `maxmemory-policy is ${p.policy} (${p.from}): a full Redis evicts keys, and queued changes and alerts are lost without an error`,
    fix,
  };
}

async function checkRepo(cfg: ShiplogConfig, io: CliIo, add: (f: Finding) => void): Promise<void> {
  const repo = resolve(io.cwd, cfg.repo.path);
  if (!existsSync(repo)) {
    add({
      check: "repo",
      status: "ok",
      message: `${repo} does not exist yet; it is created on the first run`,
    });
    return;
  }
  try {
    accessSync(repo, constants.W_OK);
  } catch (err) {
    add({
      check: "repo",
      status: "fail",
      message: `${repo} is not writable (${oneLine(err)})`,
      fix: `chown or chmod ${repo}, or set repo.path`,
    });
    return;
  }
  try {
    await git(repo, ["rev-parse", "--git-dir"]);
  } catch (err) {
    add({
      check: "repo",
      status: "fail",
      message: `${repo} exists but is not a Git repository (${oneLine(err)})`,
      fix: "point repo.path at an empty directory or a shiplog repo",
    });
    return;
  }
  const commits = await hasCommits(repo, cfg.repo.branch);
  add({
    check: "repo",
    status: "ok",
    message: `${repo}, branch ${cfg.repo.branch} ${commits ? "has history" : "has no commits yet"}`,
  });
}

async function checkRemote(cfg: ShiplogConfig, io: CliIo, add: (f: Finding) => void): Promise<void> {
  const remote = cfg.repo.remote;
  if (remote === undefined) {
    add({
      check: "remote",
      status: "ok",
      message: "none configured: history stays local (set repo.remote.url to push)",
    });
    return;
  }
  try {
    const env = remoteGitEnv(remote, io.cwd);
    await git(io.cwd, ["ls-remote", "--heads", remote.url, cfg.repo.branch], { env, timeoutMs: 20_000 });
    add({
      check: "remote",
      status: "ok",
      message: `${maskUrlCredentials(remote.url)} is reachable with the configured credentials`,
    });
  } catch (err) {
    add({
      check: "remote",
      status: "fail",
      message: `${maskUrlCredentials(remote.url)}: ${oneLine(err)}`,
      fix: "check repo.remote.url and its sshKeyFile/sshKnownHostsFile or tokenFile",
    });
  }
}

async function checkKeys(cfg: ShiplogConfig, io: CliIo, add: (f: Finding) => void): Promise<void> {
  const mode = cfg.secrets.mode;
  const needs = SecretModeRegistry[mode];
  if (needs.needsAgeRecipients) {
    add({
      check: "keys",
      status: "ok",
      message: `${mode} mode, ${cfg.secrets.ageRecipients.length} age recipient(s)`,
    });
    const idFile = io.env[SOPS_AGE_KEY_FILE_ENV];
    if (idFile !== undefined && idFile !== "") {
      try {
        const msg = await checkIdentity(resolve(io.cwd, idFile), cfg.secrets.ageRecipients);
        add({
          check: "age identity",
          status: msg.ok ? "ok" : "warn",
          message: msg.text,
          fix: "use an identity whose recipient is in secrets.ageRecipients",
        });
      } catch (err) {
        add({ check: "age identity", status: "warn", message: oneLine(err) });
      }
    }
  }
  // redact and encrypt both fingerprint values: a key that changes re-commits every Secret.
  if (needs.needsHmacKey) {
    try {
      const k = resolveHmacKey(cfg, { cwd: io.cwd, env: io.env, homeDir: io.homeDir, create: false });
      if (k === undefined) {
        add({
          check: "keys",
          status: "ok",
          message: `${mode} mode; no fingerprint key yet: one is generated at ${defaultHmacKeyFile(io.env, io.homeDir)} on the first run`,
        });
      } else {
        add({
          check: "keys",
          status: k.warnings.length > 0 ? "warn" : "ok",
          message: `${mode} mode, fingerprint key from ${k.source}${k.warnings.length > 0 ? `; ${k.warnings.join("; ")}` : ""}`,
          fix: "chmod 600 the key file",
        });
      }
    } catch (err) {
      add({
        check: "keys",
        status: "fail",
        message: oneLine(err),
        fix: "set secrets.hmacKeyFile to a readable file with at least 16 bytes, outside the repo",
      });
    }
  }
  if (needs.needsAgeRecipients || needs.needsHmacKey) return;
  add({
    check: "keys",
    status: "ok",
    message: `${mode} mode: Secret values are never recorded, no key needed`,
  });
}

async function checkIdentity(
  file: string,
  recipients: readonly string[],
): Promise<{ ok: boolean; text: string }> {
  if (!statSync(file).isFile()) return { ok: false, text: `${file} is not a file` };
  const ids = readAgeIdentities(file);
  const mine = await Promise.all(ids.map((id) => identityToRecipient(id)));
  const match = mine.some((r) => recipients.includes(r));
  return match
    ? { ok: true, text: `${SOPS_AGE_KEY_FILE_ENV} can decrypt recorded Secrets` }
    : { ok: false, text: `${SOPS_AGE_KEY_FILE_ENV} holds no identity for any of secrets.ageRecipients` };
}

/** How many of the branch's newest commits are read for the attribution summary. */
const ATTRIBUTION_SAMPLE = 200;

/**
 * Which identity source is active: configured, files readable, when each source last delivered an
 * identity (from Redis), and how the newest commits were attributed (their Shiplog-Attribution
 * trailers).
 */
async function checkAttribution(cfg: ShiplogConfig, io: CliIo, add: (f: Finding) => void): Promise<void> {
  const a = cfg.attribution;
  const counts = await recentAttribution(resolve(io.cwd, cfg.repo.path), cfg.repo.branch);
  const summary =
    counts === undefined
      ? "no commits yet"
      : `last ${counts.total} commit(s): ${Object.entries(counts.by)
          .map(([src, n]) => `${src} ${n}`)
          .join(", ")}`;
  if (a.sources.length === 0) {
    add({
      check: "attribution",
      status: "ok",
      message: `off: authors are field managers (${summary})`,
      fix: "set attribution.sources to name the people behind changes (docs/attribution.md)",
    });
    return;
  }
  for (const [key, path] of [
    ["attribution.receiver.tlsCertFile", a.receiver.tlsCertFile],
    ["attribution.receiver.tlsKeyFile", a.receiver.tlsKeyFile],
    ["attribution.receiver.tokenFile", a.receiver.tokenFile],
    ["attribution.receiver.clientCaFile", a.receiver.clientCaFile],
  ] as const) {
    if (path === undefined) continue;
    try {
      accessSync(resolve(io.cwd, path), constants.R_OK);
    } catch (err) {
      add({
        check: "attribution",
        status: "fail",
        message: `${key} ${path} is not readable (${oneLine(err)})`,
        fix: `mount the file or correct ${key}`,
      });
      return;
    }
  }
  let last: Readonly<Record<string, number | undefined>>;
  try {
    last = await lastIdentities(cfg, io);
  } catch (err) {
    add({
      check: "attribution",
      status: "warn",
      message: `sources ${a.sources.join(", ")}; cannot read when identities last arrived (${oneLine(err)}); ${summary}`,
    });
    return;
  }
  const now = Date.now();
  const silent = a.sources.filter((s) => last[s] === undefined);
  const seen = a.sources
    .filter((s) => last[s] !== undefined)
    .map((s) => `${s} active (last identity ${Math.round((now - (last[s] ?? now)) / 1000)}s ago)`);
  const parts = [
    ...seen,
    ...silent.map((s) => `${s}: no identity in the last ${Math.round(a.retention / 60_000)}m`),
  ];
  add({
    check: "attribution",
    status: silent.length === 0 ? "ok" : "warn",
    message: `${parts.join("; ")}; ${summary}`,
    ...(silent.length > 0
      ? {
          fix: silent.includes("audit")
            ? "point the apiserver's --audit-webhook-config-file at the receiver (deploy/attribution/README.md) and check its logs for webhook errors"
            : "create the ValidatingWebhookConfiguration (Helm attribution.admission.enabled) and check that the apiserver reaches the receiver's Service",
        }
      : {}),
  });
}

async function lastIdentities(
  cfg: ShiplogConfig,
  io: CliIo,
): Promise<Readonly<Record<string, number | undefined>>> {
  const [{ IdentityStore }, { Redis }] = await Promise.all([
    import("@shiplog/attribution"),
    import("ioredis"),
  ]);
  const redis = new Redis({
    ...redisTarget(cfg.redis, io.cwd).connection,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: true,
    connectTimeout: 5000,
    retryStrategy: () => null,
    sentinelRetryStrategy: () => null,
  });
  redis.on("error", () => undefined); // the failed connect below reports it
  try {
    await redis.connect();
    return await new IdentityStore({ redis, prefix: cfg.redis.prefix }).lastSeen();
  } finally {
    redis.disconnect();
  }
}

/** Counts of the Shiplog-Attribution trailer over the branch's newest commits; undefined: no commits. */
async function recentAttribution(
  repo: string,
  branch: string,
): Promise<{ total: number; by: Record<string, number> } | undefined> {
  if (!existsSync(repo) || !(await hasCommits(repo, branch).catch(() => false))) return undefined;
  let out: string;
  try {
    out = await git(repo, [
      "log",
      `--max-count=${ATTRIBUTION_SAMPLE}`,
      "--format=%x1e%(trailers:key=Shiplog-Attribution,valueonly,separator=%x2c)",
      branch,
    ]);
  } catch {
    return undefined;
  }
  const by: Record<string, number> = {};
  let total = 0;
  for (const rec of out.split("\x1e").slice(1)) {
    total++;
    const sources = rec.trim() === "" ? ["none"] : [...new Set(rec.trim().split(","))];
    for (const src of sources) by[src] = (by[src] ?? 0) + 1;
  }
  return { total, by };
}
