/**
 * The one translation of a failed Redis connection into a line a user can act on: which part failed
 * (TLS, authentication, Sentinel, the network), in words, with a fix. Node's TLS codes, Redis's
 * WRONGPASS/NOAUTH/NOPERM replies and ioredis's Sentinel errors are recognised; none of them carries a
 * password, and nothing here adds one.
 */
import { CliError, ExitCodes, oneLine } from "../cli-error.js";
import { describeNetError } from "./kube.js";

export const RedisFailureKinds = {
  tls: "tls",
  auth: "auth",
  sentinel: "sentinel",
  network: "network",
} as const;
export type RedisFailureKind = (typeof RedisFailureKinds)[keyof typeof RedisFailureKinds];

export interface RedisFailure {
  readonly kind: RedisFailureKind;
  readonly text: string;
  readonly fix: string;
}

const UNKNOWN_CA = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
]);
const CLIENT_CERT_REJECTED = new Set([
  "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED",
  "ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE",
  "ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN",
  "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA",
  "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE",
  "ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR",
]);

function chain(err: unknown): { codes: string[]; messages: string[] } {
  const codes: string[] = [];
  const messages: string[] = typeof err === "string" ? [err] : [];
  let cur: unknown = err;
  for (let i = 0; i < 6 && cur instanceof Error; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
    messages.push(cur.message);
    cur = cur.cause;
  }
  return { codes, messages };
}

/** What the failed connection was: TLS or not, with a client certificate or not. */
export interface RedisAttempt {
  readonly tls: boolean;
  readonly clientCert: boolean;
  /** Key prefix, for the ACL fix. */
  readonly prefix: string;
}

const PLAIN: RedisAttempt = { tls: false, clientCert: false, prefix: "shiplog" };

/** What went wrong, from the error ioredis reported (its 'error' event or a rejected command). */
export function explainRedisFailure(err: unknown, attempt: RedisAttempt = PLAIN): RedisFailure {
  const prefix = attempt.prefix;
  const { codes, messages } = chain(err);
  const text = messages.join(" ");
  const code = (set: ReadonlySet<string>): string | undefined => codes.find((c) => set.has(c));
  const unknownCa = code(UNKNOWN_CA);
  if (unknownCa !== undefined)
    return {
      kind: "tls",
      text: `TLS: the server's certificate is not signed by a trusted CA (unknown CA, ${unknownCa})`,
      fix: "set redis.tls.caFile to the PEM bundle of the CA that signed the server's certificate",
    };
  if (codes.includes("ERR_TLS_CERT_ALTNAME_INVALID")) {
    const m = /Host: (.*?)\.? is not in the cert's (?:list|altnames): ?([^\n]*)/.exec(text);
    const detail = m !== null ? `: ${m[1] ?? "?"} is not among ${(m[2] ?? "").trim()}` : "";
    return {
      kind: "tls",
      text: `TLS: the server's certificate does not match the name connected to (name mismatch${detail})`,
      fix: "connect by a name in the certificate, or set redis.tls.serverName to one",
    };
  }
  if (codes.includes("CERT_HAS_EXPIRED") || codes.includes("CERT_NOT_YET_VALID"))
    return {
      kind: "tls",
      text: `TLS: the server's certificate is outside its validity period (${codes.find((c) => c.startsWith("CERT_"))})`,
      fix: "renew the server's certificate",
    };
  const rejected = code(CLIENT_CERT_REJECTED);
  if (rejected !== undefined || /alert certificate required|alert bad certificate/i.test(text))
    return {
      kind: "tls",
      text: `TLS: the server rejected our client certificate or wanted one (client cert rejected, ${rejected ?? "alert"})`,
      fix: "set redis.tls.certFile and redis.tls.keyFile to a certificate signed by a CA in the server's tls-ca-cert-file",
    };
  // TLS 1.3: the server checks the client certificate after our side of the handshake is done, and
  // Redis then closes the connection, so we see a reset rather than the alert.
  if (attempt.tls && (codes.includes("ECONNRESET") || codes.includes("EPIPE")))
    return attempt.clientCert
      ? {
          kind: "tls",
          text: "TLS: the server closed the connection after the handshake (client cert rejected: not signed by a CA it trusts?)",
          fix: "use a client certificate signed by a CA in the server's tls-ca-cert-file (redis.tls.certFile, redis.tls.keyFile)",
        }
      : {
          kind: "tls",
          text: "TLS: the server closed the connection after the handshake (client cert rejected: none sent, and the server wants one)",
          fix: "set redis.tls.certFile and redis.tls.keyFile to a client certificate signed by a CA in the server's tls-ca-cert-file",
        };
  if (codes.includes("ERR_SSL_WRONG_VERSION_NUMBER") || /wrong version number/i.test(text))
    return {
      kind: "tls",
      text: "TLS: the server does not speak TLS on this port",
      fix: "use a redis:// URL, or the port of the server's tls-port",
    };
  if (/\bWRONGPASS\b/.test(text))
    return {
      kind: "auth",
      text: "authentication failed: WRONGPASS (wrong user name or password, or the user is disabled)",
      fix: "check redis.usernameFile and redis.passwordFile (or the URL) against the server's ACL user",
    };
  if (/\bNOAUTH\b/.test(text) || /AUTH .*called without any password configured/.test(text))
    return {
      kind: "auth",
      text: /\bNOAUTH\b/.test(text)
        ? "authentication required: NOAUTH (the server wants a password)"
        : "authentication failed: the server has no password for that user",
      fix: "set redis.passwordFile (and redis.usernameFile for an ACL user) to the server's credentials",
    };
  const noperm = /\bNOPERM\b.*$/m.exec(text)?.[0];
  if (noperm !== undefined)
    return {
      kind: "auth",
      text: `the ACL user may not run what shiplog needs: ${noperm.split("\n")[0] ?? noperm}`,
      fix: `grant it what BullMQ needs: ACL SETUSER <user> resetkeys ~${prefix}:* resetchannels +@all -@dangerous +info (docs/deploy.md)`,
    };
  if (/sentinel/i.test(text))
    return {
      kind: "sentinel",
      text: `Sentinel: ${oneLine(err)}`,
      fix: "check redis.sentinel.sentinels, redis.sentinel.masterName and redis.sentinel.passwordFile (shiplog doctor shows each Sentinel's answer)",
    };
  const net = describeNetError(err);
  const hint =
    !attempt.tls && codes.includes("ECONNRESET")
      ? " (does the server want TLS? use a rediss:// URL)"
      : attempt.tls && net === "timed out"
        ? " (if the server does not speak TLS on this port, use a redis:// URL)"
        : "";
  return {
    kind: "network",
    text: `${net}${hint}`,
    fix: "start Redis or set redis.url / SHIPLOG_REDIS_URL / --redis-url",
  };
}

/** A Redis start-up or doctor check that failed, with what failed. */
export class RedisCheckError extends CliError {
  readonly failure: RedisFailure;

  constructor(label: string, failure: RedisFailure, options?: { cause?: unknown }) {
    super(
      `${failure.kind === "network" ? "cannot reach" : "cannot connect to"} Redis at ${label}: ${failure.text}`,
      ExitCodes.unavailable,
      options,
    );
    this.failure = failure;
  }
}
