/**
 * The shiplog configuration: types, the one declarative schema, parsing, defaults, the generated
 * reference and a masked view for printing. Durations are given as strings ("5s", "1m", "250ms") and
 * are milliseconds in the parsed config.
 */
import { ConfigError } from "./config-error.js";
import { COMMIT_URL_PLACEHOLDERS, Defaults } from "./defaults.js";
import { formatDuration } from "./duration.js";
import { parseLabelSelector } from "./label-selector.js";
import { MIN_HMAC_KEY_BYTES } from "./protect.js";
import { MASK, maskUrlCredentials, maskWebhookUrl } from "./mask.js";
import { ChangeOps, type ChangeOp } from "./messages.js";
import { SECRET_MODE_NAMES, SecretModeRegistry, SecretModes, type SecretMode } from "./secret-modes.js";
import type { Field } from "./schema.js";
import { formatSize } from "./schema.js";
import {
  bool,
  duration,
  int,
  list,
  obj,
  oneOf,
  optObj,
  optStr,
  optStrList,
  referenceRows,
  size,
  str,
  strList,
} from "./schema.js";

export { ConfigError } from "./config-error.js";
export { parseDuration } from "./duration.js";

export { SecretModes, type SecretMode } from "./secret-modes.js";

export const SinkTypes = {
  slack: "slack",
  teams: "teams",
  discord: "discord",
  mattermost: "mattermost",
  webhook: "webhook",
} as const;
export type SinkType = (typeof SinkTypes)[keyof typeof SinkTypes];

export const LogLevels = {
  trace: "trace",
  debug: "debug",
  info: "info",
  warn: "warn",
  error: "error",
  fatal: "fatal",
  silent: "silent",
} as const;
export type LogLevel = (typeof LogLevels)[keyof typeof LogLevels];

/** Which groups/resources(type ids)/namespaces a filter names. Empty lists name nothing. */
export interface TypeFilter {
  groups: string[];
  /** Type ids such as `deployments.apps`, `configmaps`. */
  resources: string[];
  namespaces: string[];
}

export interface WatchConfig {
  /** Empty lists = everything. */
  include: TypeFilter;
  exclude: TypeFilter;
  labelSelector: string;
  /** milliseconds */
  rediscoverInterval: number;
  pageSize: number;
  /** Resume watches from the stored resourceVersions after a restart (ADR 0038). */
  resume: boolean;
  /** Messages buffered (Redis down or slow) before reflectors stop reading. */
  maxBuffered: number;
  /** Bytes of content buffered before reflectors stop reading. */
  maxBufferedBytes: number;
}

export interface NormalizeRule {
  /** Type id, or `*` for every type. */
  type: string;
  /** JSON pointers to remove (`*` matches any key or index). */
  strip: string[];
  /** JSON pointers to keep even if a default rule strips them. */
  keep: string[];
}

export interface NormalizeConfig {
  skipControllerOwned: boolean;
  /** Type ids whose `status` is kept. */
  keepStatus: string[];
  rules: NormalizeRule[];
}

export interface SensitiveFieldsRule {
  type: string;
  pointers: string[];
}

export interface SecretsConfig {
  mode: SecretMode;
  hmacKey?: string;
  hmacKeyFile?: string;
  ageRecipients: string[];
  sensitiveFields: SensitiveFieldsRule[];
  omitSecretTypes: string[];
}

export interface RemoteConfig {
  url: string;
  sshKeyFile?: string;
  sshKnownHostsFile?: string;
  /** Accept an SSH host key that is not in known_hosts (man-in-the-middle possible). */
  insecureAcceptUnknownHostKey: boolean;
  tokenFile?: string;
  /** PEM CA bundle for an HTTPS remote; unset = the system trust store. */
  caFile?: string;
  /** milliseconds */
  pushInterval: number;
}

export interface RepoConfig {
  path: string;
  branch: string;
  authorDomain: string;
  remote?: RemoteConfig;
}

export interface CommitterConfig {
  /** milliseconds */
  quietPeriod: number;
  /** milliseconds */
  maxWindow: number;
  /** milliseconds */
  lockTtl: number;
  /** A window closes at this many messages. */
  maxWindowEvents: number;
  /** A window closes once its messages hold this many bytes. */
  maxWindowBytes: number;
}

export interface SinkRoutes {
  namespaces?: string[];
  excludeNamespaces?: string[];
  types?: string[];
  excludeTypes?: string[];
  labelSelector?: string;
  ops?: ChangeOp[];
  excludeOps?: ChangeOp[];
  authors?: string[];
  excludeAuthors?: string[];
}

export interface SinkConfig {
  name: string;
  type: SinkType;
  url?: string;
  urlFile?: string;
  secret?: string;
  secretFile?: string;
  routes: SinkRoutes;
  rateLimit: { perMinute: number; digestAfter: number };
  maxAttempts: number;
}

/**
 * A sink as the notifier receives it: the CLI has read `urlFile` and `secretFile`, so `url` and
 * `secret` hold the values. Derived from `SinkConfig`, so the two cannot drift.
 */
export type SinkTarget = Omit<SinkConfig, "url" | "urlFile" | "secret" | "secretFile"> & {
  readonly url: string;
  readonly secret?: string;
};

export interface NotifierConfig {
  commitUrlTemplate?: string;
  sinks: SinkConfig[];
}

/** Where identities come from (see docs/adr/0036-attribution-receiver.md). */
export const AttributionSources = { audit: "audit", admission: "admission" } as const;
export type AttributionSourceName = (typeof AttributionSources)[keyof typeof AttributionSources];

export interface UserMapping {
  /** Kubernetes username as the apiserver authenticated it, e.g. `alice` or `system:serviceaccount:ci:deployer`. */
  username: string;
  name: string;
  email: string;
}

export interface AttributionReceiverConfig {
  listen: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /** File of accepted bearer tokens, one per line. */
  tokenFile?: string;
  clientCaFile?: string;
  admissionRequiresAuth: boolean;
  maxBodyBytes: number;
}

export interface AttributionConfig {
  /** Empty = attribution off: authors are field managers. */
  sources: AttributionSourceName[];
  /** milliseconds */
  grace: number;
  /** milliseconds */
  retention: number;
  users: UserMapping[];
  receiver: AttributionReceiverConfig;
}

/** TLS towards Redis (the URL is `rediss://`) and towards Sentinels (`redis.sentinel.tls`). */
export interface RedisTlsConfig {
  /** PEM bundle of the CAs the server certificate must chain to; unset = the system trust store. */
  caFile?: string;
  /** PEM client certificate (mutual TLS), with `keyFile`. */
  certFile?: string;
  keyFile?: string;
  /** Name sent as SNI and checked against the server certificate; unset = the host connected to. */
  serverName?: string;
  /** Accept any server certificate (tests only). */
  insecureSkipVerify: boolean;
}

/** Reach the master through Redis Sentinel instead of the URL's host and port. */
export interface RedisSentinelConfig {
  masterName: string;
  /** `host:port` of each Sentinel. */
  sentinels: string[];
  passwordFile?: string;
  /** The Sentinels themselves speak TLS (with the `redis.tls` settings). */
  tls: boolean;
}

export interface RedisConfig {
  url: string;
  prefix: string;
  /** File holding the ACL user name (instead of one in the URL). */
  usernameFile?: string;
  /** File holding the password (instead of one in the URL). */
  passwordFile?: string;
  tls: RedisTlsConfig;
  sentinel?: RedisSentinelConfig;
}

export interface ShiplogConfig {
  cluster: { name: string };
  kubernetes: { kubeconfig?: string; context?: string };
  redis: RedisConfig;
  watch: WatchConfig;
  normalize: NormalizeConfig;
  secrets: SecretsConfig;
  repo: RepoConfig;
  committer: CommitterConfig;
  notifier: NotifierConfig;
  attribution: AttributionConfig;
  server: { listen: string; stuckAfter: number };
  log: { level: LogLevel };
}

// ---- checks ----------------------------------------------------------------------------------------

const POINTER = /^(\/([^~/]|~[01])*)*$/;
const AGE_RECIPIENT = /^age1[02-9ac-hj-np-z]{58}$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Sink names become queue names and metric labels. */
const SINK_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const MIN_WEBHOOK_SECRET = 16;

function pointerCheck(v: string): string | undefined {
  return POINTER.test(v)
    ? undefined
    : `expected a JSON pointer like "/spec/replicas", got ${JSON.stringify(v)}`;
}

function notEmpty(v: string): string | undefined {
  return v === "" ? "must not be empty" : undefined;
}

/**
 * `repo.remote.url` must not carry credentials: a URL reaches logs, error messages and `.git/config`,
 * a token file or key file does not. A password anywhere is a credential, and so is any user name in an
 * http(s) URL (a token often stands as the user name); an SSH user name (`ssh://git@host/x`,
 * `git@host:x`) is not. The problem never repeats the URL.
 */
function remoteUrlCheck(v: string): string | undefined {
  if (v === "") return "must not be empty";
  const refuse = (what: string): string =>
    `must not contain credentials (${what}); put the token in repo.remote.tokenFile (HTTPS) or the key in repo.remote.sshKeyFile (SSH)`;
  const url = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)/.exec(v);
  if (url === null) {
    // scp-like `user@host:path` (or a local path): only `user:password@host:` carries a credential.
    return /^[^/@:]+:[^/@:]*@[^/@:]+:/.test(v) ? refuse("a password") : undefined;
  }
  const authority = url[2] ?? "";
  const at = authority.lastIndexOf("@");
  if (at < 0) return undefined;
  if (authority.slice(0, at).includes(":")) return refuse("a password");
  const scheme = (url[1] ?? "").toLowerCase();
  return scheme === "http" || scheme === "https" ? refuse("a user name or token in an https URL") : undefined;
}

function urlCheck(schemes: readonly string[]) {
  return (v: string): string | undefined => {
    let u: URL;
    try {
      u = new URL(v);
    } catch (err) {
      return `expected a URL, got a value that does not parse (${err instanceof Error ? err.message : "invalid"})`;
    }
    return schemes.includes(u.protocol)
      ? undefined
      : `expected a ${schemes.join(" or ")} URL, got ${u.protocol}`;
  };
}

function listenCheck(v: string): string | undefined {
  const m = /^(.*):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  return m && port <= 65535 ? undefined : `expected host:port like "0.0.0.0:9090", got ${JSON.stringify(v)}`;
}

function filter(what: string, def: Partial<TypeFilter>): Field<TypeFilter> {
  return obj<TypeFilter>({
    description: `Types and namespaces to ${what}.`,
    fields: {
      groups: strList({
        description: `API groups to ${what} ("" is the core group).`,
        default: def.groups ?? [],
      }),
      resources: strList({
        description: `Type ids to ${what}, e.g. "deployments.apps", "configmaps".`,
        default: def.resources ?? [],
        check: notEmpty,
      }),
      namespaces: strList({
        description: `Namespaces to ${what}.`,
        default: def.namespaces ?? [],
        check: notEmpty,
      }),
    },
  });
}

const routes = obj<SinkRoutes>({
  description: "Which changes this sink receives. Unset lists do not restrict.",
  fields: {
    namespaces: optStrList({ description: 'Only these namespaces ("" = cluster-scoped).' }),
    excludeNamespaces: optStrList({ description: "Never these namespaces." }),
    types: optStrList({ description: "Only these type ids." }),
    excludeTypes: optStrList({ description: "Never these type ids." }),
    labelSelector: optStr({
      description: "Only objects whose labels match this selector.",
      check: (v) => {
        try {
          parseLabelSelector(v);
          return undefined;
        } catch (err) {
          return err instanceof Error ? err.message : "not a label selector";
        }
      },
    }),
    ops: optStrList<ChangeOp>({
      description: "Only these operations (create, update, delete).",
      check: opCheck,
    }),
    excludeOps: optStrList<ChangeOp>({ description: "Never these operations.", check: opCheck }),
    authors: optStrList({
      description:
        "Only changes by these authors: commit author names or emails (people with attribution on, else field managers).",
    }),
    excludeAuthors: optStrList({ description: "Never changes by these authors." }),
  },
});

const sink = obj<SinkConfig>({
  description: "One chat destination.",
  fields: {
    name: str({
      description: 'Unique name (used in queue names, logs and metrics): letters, digits, "-" and "_".',
      default: "",
      check: (v) =>
        SINK_NAME.test(v)
          ? undefined
          : `expected 1-63 letters, digits, "-" or "_" starting with a letter or digit, got ${JSON.stringify(v)}`,
    }),
    type: oneOf(Object.values(SinkTypes), { description: "Payload format.", default: "webhook" }),
    url: optStr({
      description: "Incoming-webhook URL (a secret: prefer urlFile).",
      check: urlCheck(["http:", "https:"]),
    }),
    urlFile: optStr({ description: "File holding the webhook URL." }),
    secret: optStr({
      description: `HMAC signing secret for type webhook, at least ${MIN_WEBHOOK_SECRET} bytes (prefer secretFile).`,
      check: (v) =>
        Buffer.byteLength(v, "utf8") >= MIN_WEBHOOK_SECRET
          ? undefined
          : `a webhook signing secret needs at least ${MIN_WEBHOOK_SECRET} bytes`,
    }),
    secretFile: optStr({ description: "File holding the signing secret." }),
    routes,
    rateLimit: obj({
      description: "Flood control.",
      fields: {
        perMinute: int({
          description: "Messages per minute at most.",
          default: Defaults.sinkPerMinute,
          min: 1,
          max: 10_000,
        }),
        digestAfter: int({
          description:
            "Commits in one minute above which the rest of that minute's commits go out as one digest.",
          default: Defaults.sinkDigestAfter,
          min: 1,
          max: 10_000,
        }),
      },
    }),
    maxAttempts: int({
      description: "Delivery attempts before giving up.",
      default: Defaults.sinkMaxAttempts,
      min: 1,
      max: 100,
    }),
  },
  check(v, path) {
    if ((v.url === undefined) === (v.urlFile === undefined)) {
      throw new ConfigError(`${path}.url`, "set exactly one of url and urlFile");
    }
    if (v.secret !== undefined && v.secretFile !== undefined) {
      throw new ConfigError(`${path}.secret`, "set at most one of secret and secretFile");
    }
    const signed = v.secret !== undefined || v.secretFile !== undefined;
    if (v.type === SinkTypes.webhook && !signed) {
      throw new ConfigError(
        `${path}.secret`,
        "a webhook sink needs a signing secret (set secret or secretFile)",
      );
    }
    if (v.type !== SinkTypes.webhook && signed) {
      throw new ConfigError(`${path}.secret`, `only webhook sinks sign their requests, not ${v.type}`);
    }
  },
});

/** `host:port` of a Sentinel; an IPv6 host in brackets. */
function hostPortCheck(v: string): string | undefined {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]/@]+):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  return m && port >= 1 && port <= 65535
    ? undefined
    : `expected host:port like "sentinel-0.sentinel:26379", got ${JSON.stringify(v)}`;
}

const REDIS_TLS_KEYS = ["caFile", "certFile", "keyFile", "serverName"] as const;

const redis = obj<RedisConfig>({
  description: "The queue between watcher, committer and notifier.",
  fields: {
    url: str({
      description:
        "Redis URL: redis://[user@]host:port/db, or rediss:// for TLS (see redis.tls). With redis.sentinel set, its host and port are ignored (the Sentinels name the master); its scheme, db, user and password still apply. Prefer redis.passwordFile to a password in the URL.",
      default: Defaults.redisUrl,
      check: urlCheck(["redis:", "rediss:"]),
    }),
    prefix: str({
      description: "Key prefix of every queue.",
      default: Defaults.redisPrefix,
      check: notEmpty,
    }),
    usernameFile: optStr({
      description:
        "File holding the Redis ACL user name, e.g. from a mounted Secret (a trailing newline is dropped); instead of a user in redis.url. Unset = the user in the URL, else default.",
      check: notEmpty,
    }),
    passwordFile: optStr({
      description:
        "File holding the Redis password, e.g. from a mounted Secret (a trailing newline is dropped); instead of a password in redis.url.",
      check: notEmpty,
    }),
    tls: obj<RedisTlsConfig>({
      description:
        "TLS settings, used when redis.url is rediss:// (the master, also through Sentinel) and when redis.sentinel.tls is true (the Sentinels).",
      fields: {
        caFile: optStr({
          description:
            "PEM bundle of the CAs the server's certificate must chain to (unset = the system trust store).",
          check: notEmpty,
        }),
        certFile: optStr({
          description: "PEM client certificate for mutual TLS (tls-auth-clients), with redis.tls.keyFile.",
          check: notEmpty,
        }),
        keyFile: optStr({ description: "PEM key of redis.tls.certFile.", check: notEmpty }),
        serverName: optStr({
          description:
            "Name sent as SNI and checked against the server's certificate (unset = the host connected to).",
          check: notEmpty,
        }),
        insecureSkipVerify: bool({
          description:
            "Accept any server certificate, so a man in the middle can read the queue. For tests only.",
          default: false,
        }),
      },
    }),
    sentinel: optObj(
      obj<RedisSentinelConfig>({
        description:
          "Reach the master through Redis Sentinel (failover); unset = connect to redis.url's host directly.",
        fields: {
          masterName: str({
            description: "Name the Sentinels monitor the master under (sentinel monitor <name> ...).",
            default: "",
            check: notEmpty,
          }),
          sentinels: strList({
            description: 'Sentinel addresses as host:port, e.g. ["redis-sentinel-0.redis:26379"].',
            default: [],
            check: hostPortCheck,
          }),
          passwordFile: optStr({
            description:
              "File holding the Sentinels' password (requirepass of the Sentinels), if they have one.",
            check: notEmpty,
          }),
          tls: bool({
            description:
              "The Sentinels speak TLS, verified with the redis.tls settings. TLS to the master is set by redis.url's scheme (rediss://).",
            default: false,
          }),
        },
        check(v, path) {
          if (v.masterName === "")
            throw new ConfigError(`${path}.masterName`, "must not be empty: name the monitored master");
          if (v.sentinels.length === 0)
            throw new ConfigError(`${path}.sentinels`, "list at least one Sentinel as host:port");
        },
      }),
    ),
  },
  check(v, path) {
    const u = new URL(v.url);
    if (v.passwordFile !== undefined && u.password !== "")
      throw new ConfigError(
        `${path}.passwordFile`,
        `set at most one of ${path}.passwordFile and a password in ${path}.url`,
      );
    if (v.usernameFile !== undefined && u.username !== "")
      throw new ConfigError(
        `${path}.usernameFile`,
        `set at most one of ${path}.usernameFile and a user in ${path}.url`,
      );
    const tlsUsed = u.protocol === "rediss:" || v.sentinel?.tls === true;
    if (!tlsUsed) {
      const set = [
        ...REDIS_TLS_KEYS.filter((k) => v.tls[k] !== undefined),
        ...(v.tls.insecureSkipVerify ? ["insecureSkipVerify"] : []),
      ];
      if (set[0] !== undefined)
        throw new ConfigError(
          `${path}.tls.${set[0]}`,
          `applies only to TLS: use a rediss:// URL${v.sentinel !== undefined ? ` or set ${path}.sentinel.tls` : ""}`,
        );
    }
    if ((v.tls.certFile === undefined) !== (v.tls.keyFile === undefined))
      throw new ConfigError(
        `${path}.tls.${v.tls.certFile === undefined ? "certFile" : "keyFile"}`,
        `set both ${path}.tls.certFile and ${path}.tls.keyFile for a client certificate`,
      );
    if (v.tls.insecureSkipVerify && v.tls.caFile !== undefined)
      throw new ConfigError(
        `${path}.tls.insecureSkipVerify`,
        `set at most one of ${path}.tls.caFile and ${path}.tls.insecureSkipVerify`,
      );
  },
});

/** The one description of the configuration. */
const schema = obj<ShiplogConfig>({
  description: "shiplog configuration.",
  fields: {
    cluster: obj({
      description: "The recorded cluster.",
      fields: {
        name: str({
          description: 'Cluster name in commits and chat; "" = the kube context name.',
          default: "",
        }),
      },
    }),
    kubernetes: obj({
      description: "How to reach the apiserver; unset = in-cluster config or the default kubeconfig.",
      fields: {
        kubeconfig: optStr({ description: "Path of a kubeconfig file." }),
        context: optStr({ description: "Context in the kubeconfig." }),
      },
    }),
    redis,
    watch: obj<WatchConfig>({
      description: "What is recorded.",
      fields: {
        include: filter("record (empty = everything)", {}),
        exclude: filter("leave out", {
          resources: ["events", "events.events.k8s.io", "leases.coordination.k8s.io"],
        }),
        labelSelector: str({
          description: 'Only objects matching this label selector ("" = all).',
          default: "",
        }),
        rediscoverInterval: duration({
          description: "How often API discovery runs to find new or removed types.",
          default: formatDuration(Defaults.rediscoverIntervalMs),
          min: 1000,
        }),
        pageSize: int({
          description: "Objects per list page.",
          default: Defaults.pageSize,
          min: 1,
          max: 10_000,
        }),
        resume: bool({
          description:
            "After a restart, resume each watch from the resourceVersion queued before it instead of relisting: changes made while shiplog was down arrive as their own events and commits (ADR 0038). A relist still happens when the apiserver's history no longer reaches back (410), or when the selection, normalisation, secret settings or shiplog version changed.",
          default: true,
        }),
        maxBuffered: int({
          description:
            "Messages the watcher holds while Redis is down or slow; at this many its reflectors stop reading (backpressure) until the queue takes them.",
          default: Defaults.watchMaxBuffered,
          min: 1,
          max: 10_000_000,
        }),
        maxBufferedBytes: size({
          description:
            "Bytes of content and paths the watcher holds while Redis is down or slow before its reflectors stop reading (with watch.maxBuffered, whichever comes first).",
          default: formatSize(Defaults.watchMaxBufferedBytes),
          min: 64 * 1024,
          max: 1024 ** 4,
        }),
      },
    }),
    normalize: obj<NormalizeConfig>({
      description: "What is left out of recorded objects.",
      fields: {
        skipControllerOwned: bool({
          description:
            "Skip objects with an ownerReference that has controller: true (their owner records the intent).",
          default: true,
        }),
        keepStatus: strList({
          description: "Type ids whose status is recorded.",
          default: [],
          check: notEmpty,
        }),
        rules: list(
          obj<NormalizeRule>({
            description: "Strip or keep fields of one type.",
            fields: {
              type: str({ description: 'Type id, or "*" for all types.', default: "", check: notEmpty }),
              strip: strList({
                description: "JSON pointers to remove (* matches any key).",
                default: [],
                check: pointerCheck,
              }),
              keep: strList({
                description: "JSON pointers to keep even if a default rule strips them.",
                default: [],
                check: pointerCheck,
              }),
            },
          }),
          { description: "Per-type strip/keep rules." },
        ),
      },
    }),
    secrets: obj<SecretsConfig>({
      description: "How Secret values and sensitive fields are protected.",
      fields: {
        mode: oneOf(SECRET_MODE_NAMES, {
          description:
            SECRET_MODE_NAMES.map((m) => `${m} = ${SecretModeRegistry[m].summary}`).join("; ") + ".",
          default: SecretModes.redact,
        }),
        hmacKey: optStr({
          description: "Fingerprint key (at least 16 bytes; prefer hmacKeyFile).",
          check: hmacCheck,
        }),
        hmacKeyFile: optStr({ description: "File holding the fingerprint key." }),
        ageRecipients: strList({
          description: "age recipients (age1...) to encrypt to in encrypt mode.",
          default: [],
          check: (v) =>
            AGE_RECIPIENT.test(v)
              ? undefined
              : `expected an age recipient "age1..." (62 characters), got ${JSON.stringify(v)}`,
        }),
        sensitiveFields: list(
          obj<SensitiveFieldsRule>({
            description: "Fields of one type protected like Secret values.",
            fields: {
              type: str({ description: 'Type id, or "*".', default: "", check: notEmpty }),
              pointers: strList({
                description: "JSON pointers of the sensitive fields.",
                default: [],
                check: pointerCheck,
              }),
            },
          }),
          { description: "Fields of other types protected like Secret values." },
        ),
        omitSecretTypes: strList({
          description: "Secret types that are not recorded at all.",
          default: ["kubernetes.io/service-account-token", "helm.sh/release.v1"],
        }),
      },
      check(v, path) {
        if (v.hmacKey !== undefined && v.hmacKeyFile !== undefined) {
          throw new ConfigError(`${path}.hmacKey`, "set at most one of hmacKey and hmacKeyFile");
        }
        if (SecretModeRegistry[v.mode].needsAgeRecipients && v.ageRecipients.length === 0) {
          throw new ConfigError(`${path}.ageRecipients`, `${v.mode} mode needs at least one age recipient`);
        }
      },
    }),
    repo: obj<RepoConfig>({
      description: "The history repository.",
      fields: {
        path: str({
          description: "Local path of the Git repository.",
          default: "./shiplog-repo",
          check: notEmpty,
        }),
        branch: str({
          description: "Branch that records the cluster.",
          default: Defaults.branch,
          check: (v) =>
            /^(?!\/|.*\/\/|.*\.\.|.*\/$|.*\.lock$)[A-Za-z0-9._/-]+$/.test(v)
              ? undefined
              : `not a valid branch name: ${JSON.stringify(v)}`,
        }),
        authorDomain: str({
          description: "Mail domain of commit authors (manager@domain).",
          default: Defaults.authorDomain,
          check: (v) =>
            v.split(".").every((l) => DNS_LABEL.test(l))
              ? undefined
              : `expected a domain name, got ${JSON.stringify(v)}`,
        }),
        remote: optObj(
          obj<RemoteConfig>({
            description: "Where to push; unset = local only.",
            fields: {
              url: str({
                description: "Remote URL (ssh or https), without credentials: use tokenFile or sshKeyFile.",
                default: "",
                check: remoteUrlCheck,
              }),
              sshKeyFile: optStr({ description: "SSH private key file." }),
              sshKnownHostsFile: optStr({
                description:
                  "known_hosts file the SSH remote's host key must be in (unset = ~/.ssh/known_hosts); unknown keys are refused.",
              }),
              insecureAcceptUnknownHostKey: bool({
                description:
                  "Accept any SSH host key (a man in the middle could read and change the history).",
                default: false,
              }),
              tokenFile: optStr({ description: "File holding an HTTPS token." }),
              caFile: optStr({
                description:
                  "PEM bundle of the CAs an HTTPS remote's certificate must chain to (unset = system trust store).",
              }),
              pushInterval: duration({
                description: "How often to push at most.",
                default: formatDuration(Defaults.pushIntervalMs),
              }),
            },
          }),
        ),
      },
    }),
    committer: obj<CommitterConfig>({
      description: "How changes are grouped into commits.",
      fields: {
        quietPeriod: duration({
          description: "Commit after this long without new changes.",
          default: formatDuration(Defaults.quietPeriodMs),
        }),
        maxWindow: duration({
          description: "Commit at the latest this long after the first change.",
          default: formatDuration(Defaults.maxWindowMs),
        }),
        lockTtl: duration({
          description:
            "Lease of the one committer per repo in Redis: after a crash (kill -9, lost node) a standby or restarted committer takes over within this long plus a second. Renewed every third of it; a committer paused past it is fenced out and cannot move the branch (ADR 0037).",
          default: formatDuration(Defaults.lockTtlMs),
          min: 1_000,
        }),
        maxWindowEvents: int({
          description:
            "A window also closes at this many changes: bounds the committer's memory and lock upkeep during a backlog or an initial list (the history of a backlog is still cut by event time).",
          default: Defaults.maxWindowEvents,
          min: 1,
          max: 1_000_000,
        }),
        maxWindowBytes: size({
          description:
            "A window also closes once its changes hold this many bytes of content and paths: a backlog of large objects becomes several commits instead of all held at once.",
          default: formatSize(Defaults.maxWindowBytes),
          min: 1024,
          max: 1024 ** 4,
        }),
      },
      check(v, path) {
        if (v.maxWindow < v.quietPeriod) {
          throw new ConfigError(`${path}.maxWindow`, "must be at least committer.quietPeriod");
        }
      },
    }),
    notifier: obj<NotifierConfig>({
      description: "Chat notifications.",
      fields: {
        commitUrlTemplate: optStr({
          description: `Link to a commit; ${COMMIT_URL_PLACEHOLDERS.map((p) => `{${p}}`).join(", ")} are replaced, e.g. https://github.com/acme/cluster-history/commit/{sha}.`,
          check: templateCheck,
        }),
        sinks: list(sink, {
          description: "Chat destinations.",
          check(v, path) {
            const seen = new Set<string>();
            v.forEach((s, i) => {
              if (seen.has(s.name))
                throw new ConfigError(`${path}[${i}].name`, `duplicate sink name ${JSON.stringify(s.name)}`);
              seen.add(s.name);
            });
          },
        }),
      },
    }),
    attribution: obj<AttributionConfig>({
      description:
        "Who made each change: the real user, from the apiserver's audit webhook or a validating admission webhook, as the commit author (docs/attribution.md).",
      fields: {
        sources: strList<AttributionSourceName>({
          description:
            'Identity sources the receiver accepts: "audit" (POST /audit, the apiserver\'s audit webhook backend) and/or "admission" (POST /admission, a ValidatingWebhookConfiguration). Empty = off: authors are field managers.',
          default: [],
          check: (v) => {
            const known: readonly string[] = Object.values(AttributionSources);
            return known.includes(v)
              ? undefined
              : `expected one of ${known.join(", ")}, got ${JSON.stringify(v)}`;
          },
        }),
        grace: duration({
          description:
            "How long after a change was seen its identity may still arrive; then the field manager is credited and the commit says so. Keep it above the apiserver's --audit-webhook-batch-max-wait plus delivery (recommended: 1s batch wait, 5s grace).",
          default: formatDuration(Defaults.attributionGraceMs),
        }),
        retention: duration({
          description: "How long identity records stay in Redis after the last write to their object.",
          default: formatDuration(Defaults.attributionRetentionMs),
          min: 60_000,
        }),
        users: list(
          obj<UserMapping>({
            description: "The Git author of one Kubernetes user.",
            fields: {
              username: str({ description: "Kubernetes username.", default: "", check: notEmpty }),
              name: str({ description: "Git author name.", default: "", check: notEmpty }),
              email: str({
                description: "Git author email.",
                default: "",
                check: (v) =>
                  /^[^\s@<>]+@[^\s@<>]+$/.test(v)
                    ? undefined
                    : `expected an email address, got ${JSON.stringify(v)}`,
              }),
            },
          }),
          {
            description:
              "Git name and email per Kubernetes username (unlisted users: the username, and the username as email when it is one, else <username>@repo.authorDomain).",
            check(v, path) {
              const seen = new Set<string>();
              v.forEach((u, i) => {
                if (seen.has(u.username))
                  throw new ConfigError(
                    `${path}[${i}].username`,
                    `duplicate username ${JSON.stringify(u.username)}`,
                  );
                seen.add(u.username);
              });
            },
          },
        ),
        receiver: obj<AttributionReceiverConfig>({
          description: "The HTTPS endpoint the apiserver sends identities to (runs with the committer).",
          fields: {
            listen: str({
              description: "host:port of the HTTPS receiver.",
              default: "0.0.0.0:9443",
              check: listenCheck,
            }),
            tlsCertFile: optStr({ description: "PEM serving certificate (re-read on SIGHUP)." }),
            tlsKeyFile: optStr({ description: "PEM serving key." }),
            tokenFile: optStr({
              description:
                "File of bearer tokens the audit webhook kubeconfig presents, one per line (several while rotating).",
            }),
            clientCaFile: optStr({
              description:
                "PEM CA whose client certificates authenticate the caller (instead of, or with, tokens).",
            }),
            admissionRequiresAuth: bool({
              description:
                "Require the token or client certificate on /admission too (only where the apiserver's AdmissionConfiguration gives the webhook a kubeconfig; managed clusters cannot).",
              default: false,
            }),
            maxBodyBytes: int({
              description: "Largest request body accepted (larger: 413).",
              default: 3 * 1024 * 1024,
              min: 1024,
              max: 64 * 1024 * 1024,
            }),
          },
        }),
      },
      check(v, path) {
        const seen = new Set<string>();
        v.sources.forEach((s, i) => {
          if (seen.has(s))
            throw new ConfigError(`${path}.sources[${i}]`, `duplicate source ${JSON.stringify(s)}`);
          seen.add(s);
        });
        if (v.sources.length === 0) return;
        const r = v.receiver;
        if (r.tlsCertFile === undefined)
          throw new ConfigError(
            `${path}.receiver.tlsCertFile`,
            "the receiver is HTTPS only: set a serving certificate",
          );
        if (r.tlsKeyFile === undefined)
          throw new ConfigError(
            `${path}.receiver.tlsKeyFile`,
            "the receiver is HTTPS only: set the serving key",
          );
        const needsAuth = v.sources.includes(AttributionSources.audit) || r.admissionRequiresAuth;
        if (needsAuth && r.tokenFile === undefined && r.clientCaFile === undefined)
          throw new ConfigError(
            `${path}.receiver.tokenFile`,
            "audit callers must authenticate: set tokenFile or clientCaFile",
          );
      },
    }),
    server: obj({
      description: "Health and metrics endpoint.",
      fields: {
        listen: str({ description: "host:port to listen on.", default: "0.0.0.0:9090", check: listenCheck }),
        stuckAfter: duration({
          description:
            "/healthz fails (so Kubernetes restarts the pod) when the committer has had events waiting, or a watched type has been listing or in backoff, this long without progress. Keep it above committer.maxWindow and the lock's expiry.",
          default: formatDuration(Defaults.stuckAfterMs),
          min: 1_000,
        }),
      },
    }),
    log: obj({
      description: "Logging.",
      fields: { level: oneOf(Object.values(LogLevels), { description: "Log level.", default: "info" }) },
    }),
  },
});

function opCheck(v: string): string | undefined {
  const ops: readonly string[] = Object.values(ChangeOps);
  return ops.includes(v) ? undefined : `expected one of ${ops.join(", ")}, got ${JSON.stringify(v)}`;
}

function templateCheck(v: string): string | undefined {
  const known: readonly string[] = COMMIT_URL_PLACEHOLDERS;
  for (const m of v.matchAll(/\{([^}]*)\}/g)) {
    if (!known.includes(m[1] ?? "")) {
      return `unknown placeholder {${m[1]}} (known: ${known.map((p) => `{${p}}`).join(", ")})`;
    }
  }
  return v.includes("{sha}") || v.includes("{shortSha}") ? undefined : "must contain {sha} or {shortSha}";
}

function hmacCheck(v: string): string | undefined {
  return Buffer.byteLength(v, "utf8") >= MIN_HMAC_KEY_BYTES
    ? undefined
    : `must be at least ${MIN_HMAC_KEY_BYTES} bytes`;
}

/** Parses and checks raw configuration (e.g. parsed YAML). Throws `ConfigError` naming the field. */
export function parseConfig(raw: unknown): ShiplogConfig {
  return schema.parse(raw, "");
}

/** The configuration with every default. */
export function defaultConfig(): ShiplogConfig {
  return schema.parse({}, "");
}

/** Markdown table of every key with its type, default and description, generated from the schema. */
export function configReference(): string {
  const rows: string[] = ["| Key | Type | Default | Description |", "| --- | --- | --- | --- |"];
  referenceRows(schema, "", rows);
  return rows.join("\n") + "\n";
}

/** A copy of `cfg` that is safe to print: keys, webhook URLs, secrets and URL credentials masked. */
export function maskConfig(cfg: ShiplogConfig): unknown {
  const c = structuredClone(cfg);
  c.redis.url = maskUrlCredentials(c.redis.url);
  if (c.secrets.hmacKey !== undefined) c.secrets.hmacKey = MASK;
  if (c.repo.remote !== undefined) c.repo.remote.url = maskUrlCredentials(c.repo.remote.url);
  for (const s of c.notifier.sinks) {
    // Incoming-webhook URLs are bearer secrets as a whole: show only the origin.
    if (s.url !== undefined) s.url = maskWebhookUrl(s.url);
    if (s.secret !== undefined) s.secret = MASK;
  }
  return c;
}
