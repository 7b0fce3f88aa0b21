/**
 * The one table of defaults for values that both the config schema and a package's options have.
 * The schema shows them in the reference; `new Committer(...)`, `new Watcher(...)` and
 * `new Notifier(...)` fall back to them when a program passes no value. Durations are milliseconds.
 * docs/adr/0032 explains `authorDomain`.
 */
export const Defaults = {
  redisUrl: "redis://127.0.0.1:6379",
  redisPrefix: "shiplog",
  branch: "main",
  /** `.local` is reserved for mDNS (RFC 6762) and never routes mail to a stranger. */
  authorDomain: "shiplog.local",
  quietPeriodMs: 5_000,
  maxWindowMs: 60_000,
  lockTtlMs: 5_000,
  pushIntervalMs: 10_000,
  pageSize: 500,
  /** A committer window closes at this many messages (50,000 until issue 14; see the committer's options). */
  maxWindowEvents: 10_000,
  /** ... or once its messages hold this many bytes of content and paths. */
  maxWindowBytes: 64 * 1024 * 1024,
  /** Messages the watcher buffers while Redis is down or slow before its reflectors stop reading. */
  watchMaxBuffered: 10_000,
  /** Bytes of content and paths the watcher buffers before its reflectors stop reading. */
  watchMaxBufferedBytes: 64 * 1024 * 1024,
  /** Paths per sync message, in bytes (`syncMessages`): one Redis script per job stays ~1 ms. */
  syncMessageBytes: 64 * 1024,
  rediscoverIntervalMs: 300_000,
  sinkPerMinute: 20,
  sinkDigestAfter: 5,
  sinkMaxAttempts: 5,
  /** /healthz fails after a stage has had work and made no progress for this long. */
  stuckAfterMs: 300_000,
  /** An identity may arrive this long after its change was seen (audit batch wait 1s + delivery). */
  attributionGraceMs: 5_000,
  /** Identity records are kept this long after the last write to their object. */
  attributionRetentionMs: 900_000,
} as const;

/** The placeholders `notifier.commitUrlTemplate` may use. */
export const COMMIT_URL_PLACEHOLDERS = ["sha", "shortSha", "branch", "cluster"] as const;
