/**
 * Notifier options and sink definitions, with documented defaults, checked once at construction.
 * A bad value throws `NotifierConfigError` naming the field.
 */
import type { ConnectionOptions } from "bullmq";
import type { ChangeOp } from "@shiplog/core";
import { ChangeOps } from "@shiplog/core";
import { NotifierConfigError } from "./errors/config-error.js";
import { parseLabelSelector } from "./selector.js";
import type { NotifierMetrics } from "./metrics.js";

export const SinkTypes = {
  slack: "slack",
  teams: "teams",
  discord: "discord",
  mattermost: "mattermost",
  webhook: "webhook",
} as const;
export type SinkType = (typeof SinkTypes)[keyof typeof SinkTypes];

/**
 * Which changes a sink receives. Every list is optional; an absent or empty include list means "all".
 * Names may use `*` as a wildcard (`system:*`, `kube-*`). A commit reaches the sink with only the
 * changes that pass; a commit with no passing change is not sent.
 */
export interface RouteRules {
  namespaces?: readonly string[];
  excludeNamespaces?: readonly string[];
  /** kubectl-style type ids, e.g. `deployments.apps`, `configmaps`. */
  types?: readonly string[];
  excludeTypes?: readonly string[];
  /** Kubernetes label selector: `app=web,tier!=db,env in (prod,stage),team notin (x),!legacy,owner`. */
  labelSelector?: string;
  ops?: readonly ChangeOp[];
  excludeOps?: readonly ChangeOp[];
  /** Commit authors (field manager names, or the email). `excludeAuthors` mutes routine controllers. */
  authors?: readonly string[];
  excludeAuthors?: readonly string[];
}

export interface RateLimit {
  /**
   * At most this many messages (single commits and digests) per minute reach the sink; more wait.
   * @defaultValue 20
   */
  perMinute: number;
  /**
   * When more than this many commits arrive for the sink within a minute, the rest of that minute's
   * commits are sent as one digest when the minute ends.
   * @defaultValue 5
   */
  digestAfter: number;
}

export interface SinkConfig {
  /** Unique; used in queue names and metrics labels. Letters, digits, `-` and `_`. */
  name: string;
  type: SinkType;
  /** Incoming-webhook URL. A credential: never logged. */
  url: string;
  /** HMAC-SHA-256 key for `webhook` sinks (required for them, refused for others). */
  secret?: string;
  routes?: RouteRules;
  /** @defaultValue `{ perMinute: 20, digestAfter: 5 }` */
  rateLimit?: RateLimit;
  /**
   * Delivery attempts before a message goes to the dead-letter queue.
   * @defaultValue 5
   */
  maxAttempts?: number;
}

/** pino-compatible structured logger. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export interface NotifierOptions {
  /** BullMQ connection and key prefix of the deployment; the commits queue is `QueueNames.commits`. */
  queue: { connection: ConnectionOptions; prefix: string };
  sinks: readonly SinkConfig[];
  /**
   * Link to a commit: `{sha}`, `{shortSha}`, `{branch}` and `{cluster}` are replaced, e.g.
   * `https://github.com/acme/history/commit/{sha}`. Without it messages carry no link.
   */
  commitUrlTemplate?: string;
  /** @defaultValue a logger that discards everything */
  logger?: Logger;
  /** @defaultValue `Date` */
  clock?: Clock;
  /** @defaultValue `createNotifierMetrics()` on a private registry */
  metrics?: NotifierMetrics;
  /** @defaultValue `globalThis.fetch` */
  fetch?: typeof fetch;
  /**
   * Length of the "minute" of `rateLimit` (perMinute and digestAfter). Only tests shorten it.
   * @defaultValue 60000
   */
  rateWindowMs?: number;
  /**
   * First retry delay; doubles per attempt. A `Retry-After` from the receiver replaces it.
   * @defaultValue 1000
   */
  retryBaseDelayMs?: number;
  /**
   * Upper bound for any retry delay, including one asked for by `Retry-After`.
   * @defaultValue 600000 (10 minutes)
   */
  retryMaxDelayMs?: number;
  /**
   * Time allowed for one HTTP request to a sink.
   * @defaultValue 10000
   */
  requestTimeoutMs?: number;
  /**
   * Diff lines shown per changed object before the rest is cut (and the cut is said).
   * @defaultValue 40
   */
  maxDiffLines?: number;
}

export const DEFAULT_RATE_LIMIT: RateLimit = { perMinute: 20, digestAfter: 5 };
export const DEFAULT_MAX_ATTEMPTS = 5;

export interface ResolvedSink {
  readonly name: string;
  readonly type: SinkType;
  readonly url: string;
  readonly secret: string | undefined;
  readonly routes: RouteRules;
  readonly rateLimit: RateLimit;
  readonly maxAttempts: number;
}

export interface ResolvedOptions {
  readonly sinks: readonly ResolvedSink[];
  readonly commitUrlTemplate: string | undefined;
  readonly rateWindowMs: number;
  readonly retryBaseDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly requestTimeoutMs: number;
  readonly maxDiffLines: number;
}

const SINK_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const TEMPLATE_VARS = new Set(["sha", "shortSha", "branch", "cluster"]);

function positiveInt(value: unknown, field: string, min = 1): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new NotifierConfigError(field, `expected an integer >= ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function stringList(value: unknown, field: string): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string" && v !== "")) {
    throw new NotifierConfigError(field, "expected a list of non-empty strings");
  }
  return value as string[];
}

function opList(value: unknown, field: string): readonly ChangeOp[] | undefined {
  const list = stringList(value, field);
  if (list === undefined) return undefined;
  const ops: string[] = Object.values(ChangeOps);
  for (const [i, op] of list.entries()) {
    if (!ops.includes(op)) {
      throw new NotifierConfigError(
        `${field}[${i}]`,
        `expected one of ${ops.join(", ")}, got ${JSON.stringify(op)}`,
      );
    }
  }
  return list as ChangeOp[];
}

function resolveRoutes(raw: unknown, field: string): RouteRules {
  if (raw === undefined) return {};
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new NotifierConfigError(field, "expected an object");
  }
  const r = raw as Record<string, unknown>;
  const known = [
    "namespaces",
    "excludeNamespaces",
    "types",
    "excludeTypes",
    "labelSelector",
    "ops",
    "excludeOps",
    "authors",
    "excludeAuthors",
  ];
  for (const key of Object.keys(r)) {
    if (!known.includes(key)) throw new NotifierConfigError(`${field}.${key}`, "unknown key");
  }
  const selector = r["labelSelector"];
  if (selector !== undefined) {
    if (typeof selector !== "string")
      throw new NotifierConfigError(`${field}.labelSelector`, "expected a string");
    try {
      parseLabelSelector(selector);
    } catch (err) {
      throw new NotifierConfigError(`${field}.labelSelector`, (err as Error).message, { cause: err });
    }
  }
  const out: RouteRules = {};
  const assign = <K extends keyof RouteRules>(key: K, value: RouteRules[K] | undefined): void => {
    if (value !== undefined) out[key] = value;
  };
  assign("namespaces", stringList(r["namespaces"], `${field}.namespaces`));
  assign("excludeNamespaces", stringList(r["excludeNamespaces"], `${field}.excludeNamespaces`));
  assign("types", stringList(r["types"], `${field}.types`));
  assign("excludeTypes", stringList(r["excludeTypes"], `${field}.excludeTypes`));
  assign("labelSelector", selector);
  assign("ops", opList(r["ops"], `${field}.ops`));
  assign("excludeOps", opList(r["excludeOps"], `${field}.excludeOps`));
  assign("authors", stringList(r["authors"], `${field}.authors`));
  assign("excludeAuthors", stringList(r["excludeAuthors"], `${field}.excludeAuthors`));
  return out;
}

function resolveSink(raw: SinkConfig, i: number): ResolvedSink {
  const field = `sinks[${i}]`;
  if (typeof raw !== "object" || raw === null) throw new NotifierConfigError(field, "expected an object");
  if (typeof raw.name !== "string" || !SINK_NAME.test(raw.name)) {
    throw new NotifierConfigError(
      `${field}.name`,
      `expected 1-63 letters, digits, "-" or "_" starting with a letter or digit, got ${JSON.stringify(raw.name)}`,
    );
  }
  const types: string[] = Object.values(SinkTypes);
  if (!types.includes(raw.type)) {
    throw new NotifierConfigError(
      `${field}.type`,
      `expected one of ${types.join(", ")}, got ${JSON.stringify(raw.type)}`,
    );
  }
  let url: URL;
  try {
    url = new URL(raw.url);
  } catch (err) {
    // Do not echo the value: a webhook URL is a credential.
    throw new NotifierConfigError(`${field}.url`, "expected an absolute http(s) URL", { cause: err });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new NotifierConfigError(`${field}.url`, `expected an http(s) URL, got scheme ${url.protocol}`);
  }
  if (raw.type === SinkTypes.webhook) {
    if (typeof raw.secret !== "string" || raw.secret.length < 16) {
      throw new NotifierConfigError(
        `${field}.secret`,
        "a webhook sink needs an HMAC secret of at least 16 characters",
      );
    }
  } else if (raw.secret !== undefined) {
    throw new NotifierConfigError(
      `${field}.secret`,
      `only webhook sinks sign their requests, not ${raw.type}`,
    );
  }
  const rate = raw.rateLimit ?? DEFAULT_RATE_LIMIT;
  if (typeof rate !== "object" || rate === null)
    throw new NotifierConfigError(`${field}.rateLimit`, "expected an object");
  const rateLimit: RateLimit = {
    perMinute: positiveInt(rate.perMinute ?? DEFAULT_RATE_LIMIT.perMinute, `${field}.rateLimit.perMinute`),
    digestAfter: positiveInt(
      rate.digestAfter ?? DEFAULT_RATE_LIMIT.digestAfter,
      `${field}.rateLimit.digestAfter`,
    ),
  };
  return {
    name: raw.name,
    type: raw.type,
    url: raw.url,
    secret: raw.secret,
    routes: resolveRoutes(raw.routes, `${field}.routes`),
    rateLimit,
    maxAttempts: positiveInt(raw.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, `${field}.maxAttempts`),
  };
}

function checkTemplate(template: unknown): string | undefined {
  if (template === undefined) return undefined;
  if (typeof template !== "string" || template === "") {
    throw new NotifierConfigError("commitUrlTemplate", "expected a non-empty string");
  }
  for (const m of template.matchAll(/\{([^}]*)\}/g)) {
    if (!TEMPLATE_VARS.has(m[1] ?? "")) {
      throw new NotifierConfigError(
        "commitUrlTemplate",
        `unknown placeholder {${m[1]}} (known: {sha}, {shortSha}, {branch}, {cluster})`,
      );
    }
  }
  return template;
}

/** Validate options once; throws `NotifierConfigError` naming the first bad field. */
export function resolveOptions(opts: NotifierOptions): ResolvedOptions {
  if (typeof opts.queue?.prefix !== "string" || opts.queue.prefix === "") {
    throw new NotifierConfigError("queue.prefix", "expected a non-empty string");
  }
  if (opts.queue.connection === undefined || opts.queue.connection === null) {
    throw new NotifierConfigError("queue.connection", "expected ioredis options or a client");
  }
  if (!Array.isArray(opts.sinks)) throw new NotifierConfigError("sinks", "expected a list");
  const sinks = (opts.sinks as readonly SinkConfig[]).map((s, i) => resolveSink(s, i));
  const seen = new Set<string>();
  for (const [i, s] of sinks.entries()) {
    if (seen.has(s.name)) throw new NotifierConfigError(`sinks[${i}].name`, `duplicate sink name ${s.name}`);
    seen.add(s.name);
  }
  return {
    sinks,
    commitUrlTemplate: checkTemplate(opts.commitUrlTemplate),
    rateWindowMs: positiveInt(opts.rateWindowMs ?? 60_000, "rateWindowMs"),
    retryBaseDelayMs: positiveInt(opts.retryBaseDelayMs ?? 1000, "retryBaseDelayMs"),
    retryMaxDelayMs: positiveInt(opts.retryMaxDelayMs ?? 600_000, "retryMaxDelayMs"),
    requestTimeoutMs: positiveInt(opts.requestTimeoutMs ?? 10_000, "requestTimeoutMs"),
    maxDiffLines: positiveInt(opts.maxDiffLines ?? 40, "maxDiffLines"),
  };
}
