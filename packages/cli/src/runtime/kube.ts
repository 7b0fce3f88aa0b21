/**
 * Kubeconfig loading and the pre-flight checks that turn the usual first-run problems (no kubeconfig,
 * unknown context, unreachable apiserver, no RBAC rights) into one-line `CliError`s.
 */
import { existsSync } from "node:fs";
import { ApiException, AuthorizationV1Api, KubeConfig, VersionApi } from "@kubernetes/client-node";
import { CliError, ExitCodes, oneLine } from "../cli-error.js";

export interface KubeTarget {
  /** Path of the kubeconfig file; absent = `$KUBECONFIG`, `~/.kube/config`, or in-cluster. */
  kubeconfig?: string | undefined;
  context?: string | undefined;
}

/** Loads the kubeconfig and selects the context. Throws `CliError` (config) on any problem. */
export function loadKubeConfig(
  target: KubeTarget,
  env: Readonly<Record<string, string | undefined>>,
): KubeConfig {
  const kc = new KubeConfig();
  const file = target.kubeconfig ?? env["KUBECONFIG"];
  try {
    if (file !== undefined && file !== "") {
      const first = file.split(":")[0] ?? file;
      if (!file.includes(":") && !existsSync(file)) {
        throw new CliError(
          `kubeconfig ${file} does not exist (set --kubeconfig or KUBECONFIG)`,
          ExitCodes.config,
        );
      }
      if (file.includes(":")) kc.loadFromDefault();
      else kc.loadFromFile(first);
    } else {
      kc.loadFromDefault();
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`cannot load kubeconfig${file ? ` ${file}` : ""}: ${oneLine(err)}`, ExitCodes.config, {
      cause: err,
    });
  }
  if (kc.getContexts().length === 0 && kc.getClusters().length === 0) {
    throw new CliError(
      "no kubeconfig found: pass --kubeconfig FILE, set KUBECONFIG, or run inside a cluster",
      ExitCodes.config,
    );
  }
  if (target.context !== undefined && target.context !== "") {
    const names = kc.getContexts().map((c) => c.name);
    if (!names.includes(target.context)) {
      throw new CliError(
        `context "${target.context}" is not in the kubeconfig (available: ${names.join(", ") || "none"})`,
        ExitCodes.config,
      );
    }
    kc.setCurrentContext(target.context);
  }
  if (kc.getCurrentCluster() === null) {
    throw new CliError(
      `the kubeconfig's current context "${kc.getCurrentContext()}" has no cluster`,
      ExitCodes.config,
    );
  }
  return kc;
}

export function serverOf(kc: KubeConfig): string {
  return kc.getCurrentCluster()?.server ?? "(unknown server)";
}

/** Calls /version with a deadline; throws a one-line `CliError` (unavailable) if the apiserver does not answer. */
export async function checkApiServer(kc: KubeConfig, timeoutMs = 10_000): Promise<string> {
  const api = kc.makeApiClient(VersionApi);
  try {
    const info = await withTimeout(api.getCode(), timeoutMs, "timed out");
    return info.gitVersion;
  } catch (err) {
    if (err instanceof ApiException && (err.code === 401 || err.code === 403)) {
      throw new CliError(
        `the Kubernetes API server at ${serverOf(kc)} rejected our credentials (HTTP ${err.code}); check the kubeconfig user`,
        ExitCodes.forbidden,
        { cause: err },
      );
    }
    throw new CliError(
      `cannot reach the Kubernetes API server at ${serverOf(kc)}: ${describeNetError(err)}`,
      ExitCodes.unavailable,
      {
        cause: err,
      },
    );
  }
}

export interface AccessQuestion {
  group: string;
  resource: string;
  verb: string;
  namespace?: string;
}

/** SelfSubjectAccessReview: may the kubeconfig user do `verb` on `resource`? */
export async function canI(
  kc: KubeConfig,
  q: AccessQuestion,
): Promise<{ allowed: boolean; reason?: string }> {
  const api = kc.makeApiClient(AuthorizationV1Api);
  const res = await api.createSelfSubjectAccessReview({
    body: {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SelfSubjectAccessReview",
      spec: {
        resourceAttributes: {
          group: q.group,
          resource: q.resource,
          verb: q.verb,
          ...(q.namespace !== undefined ? { namespace: q.namespace } : {}),
        },
      },
    },
  });
  const status = res.status;
  return { allowed: status?.allowed === true, ...(status?.reason ? { reason: status.reason } : {}) };
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  });
  await Promise.all(workers);
  return out;
}

export function describeNetError(err: unknown): string {
  const codes: string[] = [];
  let cur: unknown = err;
  for (let i = 0; i < 6 && cur instanceof Error; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
    cur = cur.cause;
  }
  const known = codes.find((c) => /^E[A-Z]+/.test(c));
  if (known !== undefined) return known === "ECONNREFUSED" ? "connection refused" : known;
  return oneLine(err);
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
