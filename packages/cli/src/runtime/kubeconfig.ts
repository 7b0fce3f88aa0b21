/**
 * Kubeconfig loading without a generated API client. `@kubernetes/client-node` costs a process
 * ~87 MB of RSS before it does anything (about 1,000 modules); shiplog needs from it only where the
 * apiserver is and how to authenticate, so `run`, `watch`, `snapshot` and `doctor` read kubeconfigs
 * here (ADR 0044). Files merge as kubectl merges them (the first file that names a cluster, user or
 * context wins; the first non-empty `current-context` wins), relative paths resolve against the file
 * that holds them, and a pod without a kubeconfig uses its service account. The credentials of the
 * chosen user are applied by `KubeCredentials`; the few kinds it does not implement (legacy
 * `auth-provider` plugins, `proxy-url`) are handed to client-node, imported only then.
 */
import { existsSync, readFileSync } from "node:fs";
import { isIPv6 } from "node:net";
import { dirname, isAbsolute, join } from "node:path";
import type { RequestOptions } from "node:https";
import type { KubeConfig as ClientNodeKubeConfig } from "@kubernetes/client-node";
import { isRecord } from "@shiplog/core";
import type { KubeAccess } from "@shiplog/watcher";
import { parse as parseYaml } from "yaml";
import { CliError, ExitCodes, oneLine } from "../cli-error.js";
import { KubeCredentials, type CredentialDeps } from "./kube-credentials.js";

/** Where a pod's service account token, CA and namespace are mounted. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface KubeCluster {
  readonly name: string;
  /** Without a trailing slash. */
  readonly server: string;
  readonly caFile?: string | undefined;
  /** Base64, as in the file. */
  readonly caData?: string | undefined;
  readonly insecureSkipTlsVerify: boolean;
  readonly tlsServerName?: string | undefined;
  readonly proxyUrl?: string | undefined;
}

/** A `users[].user.exec` credential plugin (client.authentication.k8s.io). */
export interface ExecPlugin {
  /** Absolute when the file gave a relative path with a separator (kubectl's rule). */
  readonly command: string;
  readonly args: readonly string[];
  readonly env: readonly { readonly name: string; readonly value: string }[];
  readonly apiVersion: string;
  readonly provideClusterInfo: boolean;
  /** The file's `exec` entry as written (for client-node, when it takes over). */
  readonly raw: Record<string, unknown>;
}

export interface KubeUser {
  readonly name: string;
  readonly token?: string | undefined;
  readonly tokenFile?: string | undefined;
  readonly certFile?: string | undefined;
  /** Base64, as in the file. */
  readonly certData?: string | undefined;
  readonly keyFile?: string | undefined;
  readonly keyData?: string | undefined;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly impersonate?: string | undefined;
  readonly impersonateGroups: readonly string[];
  readonly exec?: ExecPlugin | undefined;
  readonly authProvider?: { readonly name: string; readonly config: Record<string, unknown> } | undefined;
}

export interface KubeContext {
  readonly name: string;
  readonly cluster: string;
  readonly user: string;
  readonly namespace?: string | undefined;
}

export interface KubeconfigDoc {
  readonly clusters: readonly KubeCluster[];
  readonly users: readonly KubeUser[];
  readonly contexts: readonly KubeContext[];
  readonly currentContext: string;
}

const EMPTY: KubeconfigDoc = { clusters: [], users: [], contexts: [], currentContext: "" };

/** Parses one kubeconfig file's text. Throws `CliError` (config) naming the file and the key. */
export function parseKubeconfig(text: string, file: string): KubeconfigDoc {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw configError(`kubeconfig ${file} is not valid YAML: ${oneLine(err)}`, err);
  }
  if (doc === null || doc === undefined) return EMPTY;
  if (!isRecord(doc)) throw configError(`kubeconfig ${file}: not a mapping`);
  const base = dirname(file);
  const at = (key: string): string => `kubeconfig ${file}: ${key}`;
  const abs = (p: string | undefined): string | undefined =>
    p === undefined || p === "" || isAbsolute(p) ? p : join(base, p);
  const str = (o: Record<string, unknown>, key: string, where: string): string | undefined => {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string") throw configError(`${at(`${where}.${key}`)} must be a string`);
    return v;
  };
  const entries = (
    key: string,
    body: string,
  ): { name: string; body: Record<string, unknown>; where: string }[] => {
    const list = doc[key];
    if (list === undefined || list === null) return [];
    if (!Array.isArray(list)) throw configError(`${at(key)} must be a list`);
    return list.map((e: unknown, i) => {
      const where = `${key}[${i}]`;
      if (!isRecord(e)) throw configError(`${at(where)} must be a mapping`);
      if (typeof e["name"] !== "string" || e["name"] === "")
        throw configError(`${at(`${where}.name`)} is missing`);
      const b = e[body] ?? {};
      if (!isRecord(b)) throw configError(`${at(`${where}.${body}`)} must be a mapping`);
      return { name: e["name"], body: b, where: `${where}.${body}` };
    });
  };

  const clusters = entries("clusters", "cluster").map(({ name, body, where }): KubeCluster => {
    const server = str(body, "server", where);
    if (server === undefined || server === "") throw configError(`${at(`${where}.server`)} is missing`);
    const insecure = body["insecure-skip-tls-verify"];
    if (insecure !== undefined && typeof insecure !== "boolean")
      throw configError(`${at(`${where}.insecure-skip-tls-verify`)} must be true or false`);
    return {
      name,
      server: server.replace(/\/+$/, ""),
      caFile: abs(str(body, "certificate-authority", where)),
      caData: str(body, "certificate-authority-data", where),
      insecureSkipTlsVerify: insecure === true,
      tlsServerName: str(body, "tls-server-name", where),
      proxyUrl: str(body, "proxy-url", where),
    };
  });

  const users = entries("users", "user").map(({ name, body, where }): KubeUser => {
    const groups = body["as-groups"];
    if (groups !== undefined && !(Array.isArray(groups) && groups.every((g) => typeof g === "string")))
      throw configError(`${at(`${where}.as-groups`)} must be a list of strings`);
    const ap = body["auth-provider"];
    if (ap !== undefined && !(isRecord(ap) && typeof ap["name"] === "string"))
      throw configError(`${at(`${where}.auth-provider`)} must be a mapping with a name`);
    return {
      name,
      token: str(body, "token", where),
      tokenFile: abs(str(body, "tokenFile", where) ?? str(body, "token-file", where)),
      certFile: abs(str(body, "client-certificate", where)),
      certData: str(body, "client-certificate-data", where),
      keyFile: abs(str(body, "client-key", where)),
      keyData: str(body, "client-key-data", where),
      username: str(body, "username", where),
      password: str(body, "password", where),
      impersonate: str(body, "as", where),
      impersonateGroups: groups ?? [],
      exec:
        body["exec"] === undefined || body["exec"] === null
          ? undefined
          : execOf(body["exec"], `${where}.exec`),
      authProvider: isRecord(ap)
        ? { name: ap["name"] as string, config: isRecord(ap["config"]) ? ap["config"] : {} }
        : undefined,
    };
  });

  function execOf(e: unknown, where: string): ExecPlugin {
    if (!isRecord(e)) throw configError(`${at(where)} must be a mapping`);
    const command = str(e, "command", where);
    if (command === undefined || command === "") throw configError(`${at(`${where}.command`)} is missing`);
    const args = e["args"] ?? [];
    if (!Array.isArray(args) || !args.every((a) => typeof a === "string"))
      throw configError(`${at(`${where}.args`)} must be a list of strings`);
    const env = e["env"] ?? [];
    if (
      !Array.isArray(env) ||
      !env.every((v) => isRecord(v) && typeof v["name"] === "string" && typeof v["value"] === "string")
    )
      throw configError(`${at(`${where}.env`)} must be a list of {name, value} strings`);
    const apiVersion = str(e, "apiVersion", where);
    if (apiVersion === undefined) throw configError(`${at(`${where}.apiVersion`)} is missing`);
    return {
      command: !isAbsolute(command) && command.includes("/") ? join(base, command) : command,
      args: args,
      env: env as { name: string; value: string }[],
      apiVersion,
      provideClusterInfo: e["provideClusterInfo"] === true,
      raw: e,
    };
  }

  const contexts = entries("contexts", "context").map(({ name, body, where }): KubeContext => {
    return {
      name,
      cluster: str(body, "cluster", where) ?? "",
      user: str(body, "user", where) ?? "",
      namespace: str(body, "namespace", where),
    };
  });
  const current = doc["current-context"];
  return {
    clusters,
    users,
    contexts,
    currentContext: typeof current === "string" ? current : "",
  };
}

/** kubectl's merge: the first file to name a cluster, user or context wins, and so does its current-context. */
export function mergeKubeconfigs(docs: readonly KubeconfigDoc[]): KubeconfigDoc {
  const firstByName = <T extends { name: string }>(lists: (readonly T[])[]): T[] => {
    const seen = new Map<string, T>();
    for (const list of lists) for (const e of list) if (!seen.has(e.name)) seen.set(e.name, e);
    return [...seen.values()];
  };
  return {
    clusters: firstByName(docs.map((d) => d.clusters)),
    users: firstByName(docs.map((d) => d.users)),
    contexts: firstByName(docs.map((d) => d.contexts)),
    currentContext: docs.find((d) => d.currentContext !== "")?.currentContext ?? "",
  };
}

/** The service account's kubeconfig, named as client-node names it (the default cluster name is the context's). */
export function inClusterKubeconfig(
  env: Readonly<Record<string, string | undefined>>,
  dir: string,
): KubeconfigDoc {
  const host = env["KUBERNETES_SERVICE_HOST"];
  const port = env["KUBERNETES_SERVICE_PORT"];
  if (!host || !port)
    throw configError(
      `found a service account token in ${dir} but KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are not set`,
    );
  const scheme = port === "80" || port === "8080" || port === "8001" ? "http" : "https";
  const nsFile = join(dir, "namespace");
  return {
    clusters: [
      {
        name: "inCluster",
        server: `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`,
        caFile: join(dir, "ca.crt"),
        insecureSkipTlsVerify: false,
      },
    ],
    users: [{ name: "inClusterUser", tokenFile: join(dir, "token"), impersonateGroups: [] }],
    contexts: [
      {
        name: "inClusterContext",
        cluster: "inCluster",
        user: "inClusterUser",
        namespace: existsSync(nsFile) ? readFileSync(nsFile, "utf8").trim() : undefined,
      },
    ],
    currentContext: "inClusterContext",
  };
}

export interface KubeTarget {
  /** Path of the kubeconfig file(s, `:`-separated); absent = `$KUBECONFIG`, `~/.kube/config`, or in-cluster. */
  kubeconfig?: string | undefined;
  context?: string | undefined;
}

export interface LoadKubeconfigOptions {
  /** @defaultValue `SERVICE_ACCOUNT_DIR` */
  serviceAccountDir?: string;
  /** Clock and process runner of the credentials (tests). */
  credentials?: Partial<CredentialDeps>;
}

/** A kubeconfig with its context chosen: the cluster, the user and how to authenticate a request. */
export class Kubeconfig implements KubeAccess {
  readonly #credentials: KubeCredentials;
  #clientNode: Promise<ClientNodeKubeConfig> | undefined;

  constructor(
    readonly doc: KubeconfigDoc,
    readonly context: KubeContext,
    readonly cluster: KubeCluster,
    readonly user: KubeUser,
    env: Readonly<Record<string, string | undefined>>,
    deps: Partial<CredentialDeps> = {},
  ) {
    this.#credentials = new KubeCredentials(cluster, user, env, deps);
  }

  getCurrentContext(): string {
    return this.context.name;
  }

  getContexts(): readonly KubeContext[] {
    return this.doc.contexts;
  }

  getCurrentCluster(): KubeCluster {
    return this.cluster;
  }

  /** True when a request needs client-node (an `auth-provider` plugin or a `proxy-url`). */
  get needsClientNode(): boolean {
    return this.user.authProvider !== undefined || this.cluster.proxyUrl !== undefined;
  }

  async applyToHTTPSOptions(opts: RequestOptions): Promise<void> {
    if (this.needsClientNode) {
      await (await this.toClientNode()).applyToHTTPSOptions(opts);
      return;
    }
    await this.#credentials.apply(opts);
  }

  /** The same context as client-node's `KubeConfig` (restore's API client, and the cases we hand over). */
  toClientNode(): Promise<ClientNodeKubeConfig> {
    this.#clientNode ??= (async () => {
      const { KubeConfig } = await import("@kubernetes/client-node");
      const kc = new KubeConfig();
      const u = this.user;
      const c = this.cluster;
      kc.loadFromOptions({
        clusters: [
          {
            name: c.name,
            server: c.server,
            caFile: c.caFile,
            caData: c.caData,
            skipTLSVerify: c.insecureSkipTlsVerify,
            tlsServerName: c.tlsServerName,
            proxyUrl: c.proxyUrl,
          },
        ],
        users: [
          {
            name: u.name,
            token: u.token,
            certFile: u.certFile,
            certData: u.certData,
            keyFile: u.keyFile,
            keyData: u.keyData,
            username: u.username,
            password: u.password,
            impersonateUser: u.impersonate,
            exec: u.exec?.raw,
            authProvider:
              u.authProvider ??
              (u.tokenFile !== undefined && u.token === undefined
                ? { name: "tokenFile", config: { tokenFile: u.tokenFile } }
                : undefined),
          },
        ],
        contexts: [
          {
            name: this.context.name,
            cluster: c.name,
            user: u.name,
            ...(this.context.namespace !== undefined ? { namespace: this.context.namespace } : {}),
          },
        ],
        currentContext: this.context.name,
      });
      return kc;
    })();
    return this.#clientNode;
  }
}

/** Loads the kubeconfig and selects the context. Throws `CliError` (config) on any problem. */
export function loadKubeconfig(
  target: KubeTarget,
  env: Readonly<Record<string, string | undefined>>,
  opts: LoadKubeconfigOptions = {},
): Kubeconfig {
  const doc = readKubeconfigs(target, env, opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR);
  const wanted = target.context !== undefined && target.context !== "" ? target.context : doc.currentContext;
  const names = doc.contexts.map((c) => c.name);
  const available = `available: ${names.join(", ") || "none"}`;
  if (wanted === "")
    throw configError(`the kubeconfig sets no current-context; pass --context (${available})`);
  const context = doc.contexts.find((c) => c.name === wanted);
  if (context === undefined) throw configError(`context "${wanted}" is not in the kubeconfig (${available})`);
  const cluster = doc.clusters.find((c) => c.name === context.cluster);
  if (cluster === undefined)
    throw configError(
      `the kubeconfig's context "${wanted}" names cluster "${context.cluster}", which the kubeconfig does not define`,
    );
  const user: KubeUser | undefined =
    context.user === ""
      ? { name: "", impersonateGroups: [] }
      : doc.users.find((u) => u.name === context.user);
  if (user === undefined)
    throw configError(
      `the kubeconfig's context "${wanted}" names user "${context.user}", which the kubeconfig does not define`,
    );
  return new Kubeconfig(doc, context, cluster, user, env, opts.credentials);
}

function readKubeconfigs(
  target: KubeTarget,
  env: Readonly<Record<string, string | undefined>>,
  serviceAccountDir: string,
): KubeconfigDoc {
  const fromFlag = target.kubeconfig !== undefined && target.kubeconfig !== "";
  const list = fromFlag ? target.kubeconfig : env["KUBECONFIG"];
  if (list !== undefined && list !== "") {
    const files = list.split(":").filter((f) => f !== "");
    const present = files.filter((f) => existsSync(f));
    const missing = files.filter((f) => !present.includes(f));
    if (present.length === 0 || (fromFlag && missing.length > 0)) {
      throw configError(`kubeconfig ${missing.join(", ")} does not exist (set --kubeconfig or KUBECONFIG)`);
    }
    return mergeKubeconfigs(present.map((f) => parseKubeconfig(readText(f), f)));
  }
  const home = env["HOME"];
  const homeConfig = home !== undefined && home !== "" ? join(home, ".kube", "config") : undefined;
  if (homeConfig !== undefined && existsSync(homeConfig))
    return parseKubeconfig(readText(homeConfig), homeConfig);
  if (existsSync(join(serviceAccountDir, "token"))) return inClusterKubeconfig(env, serviceAccountDir);
  throw configError("no kubeconfig found: pass --kubeconfig FILE, set KUBECONFIG, or run inside a cluster");
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw configError(`cannot read kubeconfig ${file}: ${oneLine(err)}`, err);
  }
}

function configError(message: string, cause?: unknown): CliError {
  return new CliError(message, ExitCodes.config, cause !== undefined ? { cause } : undefined);
}
