/**
 * Applies a kubeconfig user's credentials to one HTTPS request: the cluster's CA and TLS options,
 * a bearer token (inline, or from a file re-read every minute, as a projected service-account token
 * rotates), a client certificate, basic auth, impersonation headers, and exec credential plugins
 * (client.authentication.k8s.io/v1 and v1beta1; the credential is kept until its expiry). Files
 * are read again at most once a minute, so rotated certificates and tokens are picked up without a
 * restart. Requests share Node's global agent, which keeps connections alive per TLS identity.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import type { OutgoingHttpHeaders } from "node:http";
import type { RequestOptions } from "node:https";
import { isRecord } from "@shiplog/core";
import type { ExecPlugin, KubeCluster, KubeUser } from "./kubeconfig.js";

export interface CredentialDeps {
  /** @defaultValue `Date.now` */
  now: () => number;
  /** Runs an exec plugin and resolves with its standard output. */
  runPlugin: (command: string, args: readonly string[], env: Record<string, string>) => Promise<string>;
  /** @defaultValue `readFileSync` */
  readFile: (path: string) => Buffer;
}

/** How long a credential or CA file is used before it is read again. */
export const FILE_REREAD_MS = 60_000;
/** An exec credential is renewed this long before its `expirationTimestamp`. */
export const EXEC_RENEW_BEFORE_MS = 10_000;
const PLUGIN_TIMEOUT_MS = 60_000;

export interface ExecCredential {
  token?: string;
  cert?: string;
  key?: string;
  /** ms since the epoch; Infinity when the plugin gave no expiry. */
  expiresAt: number;
}

export class KubeCredentials {
  readonly #deps: CredentialDeps;
  readonly #files = new Map<string, { at: number; data: Buffer }>();
  #exec: ExecCredential | undefined;
  #execRun: Promise<ExecCredential> | undefined;

  constructor(
    readonly cluster: KubeCluster,
    readonly user: KubeUser,
    readonly env: Readonly<Record<string, string | undefined>>,
    deps: Partial<CredentialDeps> = {},
  ) {
    this.#deps = {
      now: deps.now ?? Date.now,
      runPlugin: deps.runPlugin ?? runPlugin,
      readFile: deps.readFile ?? ((p) => readFileSync(p)),
    };
  }

  async apply(opts: RequestOptions): Promise<void> {
    const c = this.cluster;
    const u = this.user;
    const headers = (opts.headers ??= {}) as OutgoingHttpHeaders;
    if (c.insecureSkipTlsVerify) opts.rejectUnauthorized = false;
    if (c.tlsServerName !== undefined) opts.servername = c.tlsServerName;
    const ca = this.#material(c.caFile, c.caData);
    if (ca !== undefined) opts.ca = ca;
    const cert = this.#material(u.certFile, u.certData);
    if (cert !== undefined) opts.cert = cert;
    const key = this.#material(u.keyFile, u.keyData);
    if (key !== undefined) opts.key = key;
    if (u.impersonate !== undefined) headers["Impersonate-User"] = u.impersonate;
    if (u.impersonateGroups.length > 0) headers["Impersonate-Group"] = [...u.impersonateGroups];
    if (u.username !== undefined && u.username !== "") opts.auth = `${u.username}:${u.password ?? ""}`;
    if (u.token !== undefined && u.token !== "") headers["Authorization"] = `Bearer ${u.token}`;
    else if (u.tokenFile !== undefined) {
      headers["Authorization"] = `Bearer ${this.#file(u.tokenFile).toString("utf8").trim()}`;
    }
    if (u.exec !== undefined) {
      const cred = await this.#execCredential(u.exec);
      if (cred.token !== undefined) headers["Authorization"] = `Bearer ${cred.token}`;
      if (cred.cert !== undefined && cred.key !== undefined) {
        opts.cert = cred.cert;
        opts.key = cred.key;
      }
    }
  }

  #material(file: string | undefined, data: string | undefined): Buffer | undefined {
    if (file !== undefined && file !== "") return this.#file(file);
    if (data !== undefined && data !== "") return Buffer.from(data, "base64");
    return undefined;
  }

  #file(path: string): Buffer {
    const now = this.#deps.now();
    const hit = this.#files.get(path);
    if (hit !== undefined && now - hit.at < FILE_REREAD_MS) return hit.data;
    const data = this.#deps.readFile(path);
    this.#files.set(path, { at: now, data });
    return data;
  }

  #execCredential(plugin: ExecPlugin): Promise<ExecCredential> {
    const held = this.#exec;
    if (held !== undefined && this.#deps.now() < held.expiresAt - EXEC_RENEW_BEFORE_MS)
      return Promise.resolve(held);
    this.#execRun ??= this.#runExec(plugin).then(
      (cred) => {
        this.#exec = cred;
        this.#execRun = undefined;
        return cred;
      },
      (err: unknown) => {
        this.#execRun = undefined;
        throw err;
      },
    );
    return this.#execRun;
  }

  async #runExec(plugin: ExecPlugin): Promise<ExecCredential> {
    const info: Record<string, unknown> = { interactive: false };
    if (plugin.provideClusterInfo) {
      const c = this.cluster;
      info["cluster"] = {
        server: c.server,
        ...(c.caData !== undefined ? { "certificate-authority-data": c.caData } : {}),
        ...(c.caFile !== undefined
          ? { "certificate-authority-data": this.#file(c.caFile).toString("base64") }
          : {}),
        ...(c.insecureSkipTlsVerify ? { "insecure-skip-tls-verify": true } : {}),
        ...(c.tlsServerName !== undefined ? { "tls-server-name": c.tlsServerName } : {}),
      };
    }
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.env)) if (v !== undefined) env[k] = v;
    for (const { name, value } of plugin.env) env[name] = value;
    env["KUBERNETES_EXEC_INFO"] = JSON.stringify({
      apiVersion: plugin.apiVersion,
      kind: "ExecCredential",
      spec: info,
    });
    const out = await this.#deps.runPlugin(plugin.command, plugin.args, env);
    return parseExecCredential(out, plugin.command);
  }
}

/** Reads an ExecCredential's `status`. Throws a one-line error naming the plugin (never its output). */
export function parseExecCredential(stdout: string, command: string): ExecCredential {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    throw new Error(`exec credential plugin ${command} did not print an ExecCredential (not JSON)`);
  }
  const status = isRecord(doc) ? doc["status"] : undefined;
  if (!isRecord(doc) || doc["kind"] !== "ExecCredential" || !isRecord(status))
    throw new Error(`exec credential plugin ${command} printed no ExecCredential status`);
  const token = typeof status["token"] === "string" && status["token"] !== "" ? status["token"] : undefined;
  const cert =
    typeof status["clientCertificateData"] === "string" ? status["clientCertificateData"] : undefined;
  const key = typeof status["clientKeyData"] === "string" ? status["clientKeyData"] : undefined;
  if (token === undefined && (cert === undefined || key === undefined))
    throw new Error(
      `exec credential plugin ${command} gave neither a token nor a client certificate and key`,
    );
  const exp = status["expirationTimestamp"];
  let expiresAt = Number.POSITIVE_INFINITY;
  if (typeof exp === "string") {
    expiresAt = Date.parse(exp);
    if (Number.isNaN(expiresAt))
      throw new Error(
        `exec credential plugin ${command}: expirationTimestamp ${JSON.stringify(exp)} is not a time`,
      );
  }
  return {
    ...(token !== undefined ? { token } : {}),
    ...(cert !== undefined && key !== undefined ? { cert, key } : {}),
    expiresAt,
  };
}

function runPlugin(command: string, args: readonly string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      [...args],
      { env, timeout: PLUGIN_TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024, encoding: "utf8" },
      (err, stdout, stderr) => {
        if (err) {
          const why = (stderr.trim().split("\n")[0] ?? "").slice(0, 300);
          reject(
            new Error(
              `exec credential plugin ${command} failed: ${err.message.split("\n")[0] ?? ""}${why ? `: ${why}` : ""}`,
              { cause: err },
            ),
          );
          return;
        }
        resolve(stdout);
      },
    );
  });
}
