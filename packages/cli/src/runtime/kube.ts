/**
 * The pre-flight checks that turn the usual first-run problems (unreachable apiserver, rejected
 * credentials, no RBAC rights) into one-line `CliError`s. Kubeconfig loading is `kubeconfig.ts`.
 */
import type { KubeAccess } from "@shiplog/watcher";
import { CliError, ExitCodes, oneLine } from "../cli-error.js";
import { KubeHttpError, kubeRequestJson } from "./kube-get.js";

export function serverOf(kc: KubeAccess): string {
  return kc.getCurrentCluster()?.server ?? "(unknown server)";
}

/** Calls /version with a deadline; throws a one-line `CliError` (unavailable) if the apiserver does not answer. */
export async function checkApiServer(kc: KubeAccess, timeoutMs = 10_000): Promise<string> {
  try {
    const info = await withTimeout(
      kubeRequestJson(kc, "GET", "/version", undefined, timeoutMs),
      timeoutMs,
      "timed out",
    );
    const v =
      typeof info === "object" && info !== null ? (info as { gitVersion?: unknown }).gitVersion : undefined;
    return typeof v === "string" ? v : "(unknown version)";
  } catch (err) {
    if (err instanceof KubeHttpError && (err.status === 401 || err.status === 403)) {
      throw new CliError(
        `the Kubernetes API server at ${serverOf(kc)} rejected our credentials (HTTP ${err.status}); check the kubeconfig user`,
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
  kc: KubeAccess,
  q: AccessQuestion,
): Promise<{ allowed: boolean; reason?: string }> {
  const res = await kubeRequestJson(kc, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
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
  });
  const status = (res as { status?: { allowed?: unknown; reason?: unknown } } | null)?.status;
  const reason = typeof status?.reason === "string" && status.reason !== "" ? status.reason : undefined;
  return { allowed: status?.allowed === true, ...(reason !== undefined ? { reason } : {}) };
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
