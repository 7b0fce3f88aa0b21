/**
 * The `SHIPLOG_*` environment variables and the config key each one sets. Only these are read; other
 * `SHIPLOG_*` names (the project's own scripts set SHIPLOG_ROOT, SHIPLOG_CACHE_DIR...) are ignored.
 * `list` values are comma-separated.
 */
export const EnvVars = [
  { name: "SHIPLOG_CLUSTER_NAME", key: "cluster.name", type: "string" },
  { name: "SHIPLOG_KUBECONFIG", key: "kubernetes.kubeconfig", type: "string" },
  { name: "SHIPLOG_CONTEXT", key: "kubernetes.context", type: "string" },
  { name: "SHIPLOG_REDIS_URL", key: "redis.url", type: "string" },
  { name: "SHIPLOG_REDIS_PREFIX", key: "redis.prefix", type: "string" },
  { name: "SHIPLOG_REDIS_USERNAME_FILE", key: "redis.usernameFile", type: "string" },
  { name: "SHIPLOG_REDIS_PASSWORD_FILE", key: "redis.passwordFile", type: "string" },
  { name: "SHIPLOG_REDIS_TLS_CA_FILE", key: "redis.tls.caFile", type: "string" },
  { name: "SHIPLOG_REDIS_TLS_CERT_FILE", key: "redis.tls.certFile", type: "string" },
  { name: "SHIPLOG_REDIS_TLS_KEY_FILE", key: "redis.tls.keyFile", type: "string" },
  { name: "SHIPLOG_REDIS_TLS_SERVER_NAME", key: "redis.tls.serverName", type: "string" },
  { name: "SHIPLOG_REDIS_SENTINEL_MASTER_NAME", key: "redis.sentinel.masterName", type: "string" },
  { name: "SHIPLOG_REDIS_SENTINELS", key: "redis.sentinel.sentinels", type: "list" },
  { name: "SHIPLOG_REDIS_SENTINEL_PASSWORD_FILE", key: "redis.sentinel.passwordFile", type: "string" },
  { name: "SHIPLOG_NAMESPACES", key: "watch.include.namespaces", type: "list" },
  { name: "SHIPLOG_LABEL_SELECTOR", key: "watch.labelSelector", type: "string" },
  { name: "SHIPLOG_SECRETS_MODE", key: "secrets.mode", type: "string" },
  { name: "SHIPLOG_HMAC_KEY_FILE", key: "secrets.hmacKeyFile", type: "string" },
  { name: "SHIPLOG_AGE_RECIPIENTS", key: "secrets.ageRecipients", type: "list" },
  { name: "SHIPLOG_REPO_PATH", key: "repo.path", type: "string" },
  { name: "SHIPLOG_REPO_BRANCH", key: "repo.branch", type: "string" },
  { name: "SHIPLOG_REPO_REMOTE_URL", key: "repo.remote.url", type: "string" },
  { name: "SHIPLOG_REPO_REMOTE_TOKEN_FILE", key: "repo.remote.tokenFile", type: "string" },
  { name: "SHIPLOG_REPO_REMOTE_SSH_KEY_FILE", key: "repo.remote.sshKeyFile", type: "string" },
  { name: "SHIPLOG_REPO_REMOTE_SSH_KNOWN_HOSTS_FILE", key: "repo.remote.sshKnownHostsFile", type: "string" },
  { name: "SHIPLOG_QUIET_PERIOD", key: "committer.quietPeriod", type: "string" },
  { name: "SHIPLOG_MAX_WINDOW", key: "committer.maxWindow", type: "string" },
  { name: "SHIPLOG_LOCK_TTL", key: "committer.lockTtl", type: "string" },
  { name: "SHIPLOG_COMMIT_URL_TEMPLATE", key: "notifier.commitUrlTemplate", type: "string" },
  { name: "SHIPLOG_LISTEN", key: "server.listen", type: "string" },
  { name: "SHIPLOG_STUCK_AFTER", key: "server.stuckAfter", type: "string" },
  { name: "SHIPLOG_LOG_LEVEL", key: "log.level", type: "string" },
] as const;

/** Names the CLI reads that are not config keys. */
export const SHIPLOG_CONFIG_ENV = "SHIPLOG_CONFIG";
export const SOPS_AGE_KEY_FILE_ENV = "SOPS_AGE_KEY_FILE";
