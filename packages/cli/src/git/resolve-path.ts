/**
 * Turns a kubectl-style `<type>/<name>` plus namespace into the object's repo path, using only the
 * repository (no cluster needed, so history works for objects and clusters that no longer exist).
 * The type may be a type id (`deployments.apps`), a plural (`deployments`), a singular (`deployment`),
 * a kind (`Deployment`), a well-known short name (`deploy`, `cm`) or a `<plural>.<group prefix>`.
 */
import { parsePath } from "@shiplog/core";
import { CliError, ExitCodes } from "../cli-error.js";
import { git } from "./git-cli.js";

/** kubectl's short names for built-in types. */
const SHORT_NAMES: Readonly<Record<string, string>> = {
  cm: "configmaps",
  cj: "cronjobs",
  crd: "customresourcedefinitions",
  crds: "customresourcedefinitions",
  deploy: "deployments",
  ds: "daemonsets",
  ep: "endpoints",
  ev: "events",
  hpa: "horizontalpodautoscalers",
  ing: "ingresses",
  limits: "limitranges",
  netpol: "networkpolicies",
  no: "nodes",
  ns: "namespaces",
  pdb: "poddisruptionbudgets",
  po: "pods",
  pv: "persistentvolumes",
  pvc: "persistentvolumeclaims",
  quota: "resourcequotas",
  rs: "replicasets",
  sa: "serviceaccounts",
  sc: "storageclasses",
  sts: "statefulsets",
  svc: "services",
};

export interface Target {
  type: string;
  name: string;
}

/** Parses `<type>/<name>`. */
export function parseTarget(arg: string): Target {
  const slash = arg.indexOf("/");
  if (slash <= 0 || slash === arg.length - 1) {
    throw new CliError(`expected <type>/<name> (e.g. deployment/web), got "${arg}"`, ExitCodes.config);
  }
  return { type: arg.slice(0, slash), name: arg.slice(slash + 1) };
}

/** True if `typeId` (e.g. `deployments.apps`) is what the user meant by `wanted` (e.g. `deploy`). */
export function typeMatches(typeIdentifier: string, wanted: string): boolean {
  const w = wanted.toLowerCase();
  const t = typeIdentifier.toLowerCase();
  if (t === w) return true;
  const dot = t.indexOf(".");
  const plural = dot < 0 ? t : t.slice(0, dot);
  const group = dot < 0 ? "" : t.slice(dot + 1);
  const wDot = w.indexOf(".");
  const wRes = wDot < 0 ? w : w.slice(0, wDot);
  const wGroup = wDot < 0 ? undefined : w.slice(wDot + 1);
  if (wGroup !== undefined && !(group === wGroup || group.startsWith(`${wGroup}.`))) return false;
  const expanded = SHORT_NAMES[wRes] ?? wRes;
  return (
    plural === expanded ||
    singular(plural) === expanded ||
    plural === `${expanded}s` ||
    plural === `${expanded}es`
  );
}

function singular(plural: string): string {
  if (plural.endsWith("ies")) return `${plural.slice(0, -3)}y`;
  if (plural.endsWith("sses") || plural.endsWith("xes") || plural.endsWith("ches"))
    return plural.slice(0, -2);
  if (plural.endsWith("s")) return plural.slice(0, -1);
  return plural;
}

/** Every object path that ever existed on `rev`'s history (current and deleted files). */
export async function allObjectPaths(repo: string, rev: string): Promise<string[]> {
  const out = await git(repo, ["log", "--format=", "--name-only", "--no-renames", rev]);
  return [...new Set(out.split("\n").filter((l) => l !== ""))];
}

/**
 * The repo path of `target` in `namespace` (`undefined` = the default namespace, or cluster scope
 * for cluster-scoped types). Throws a `CliError` naming the candidates when the type is ambiguous and
 * a clear "never recorded" message when nothing matches.
 */
export async function resolveObjectPath(
  repo: string,
  rev: string,
  target: Target,
  namespace: string | undefined,
): Promise<string> {
  const paths = await allObjectPaths(repo, rev);
  const matches: Array<{ path: string; namespace: string; type: string }> = [];
  for (const p of paths) {
    const parsed = parsePath(p);
    if (parsed === undefined || parsed.name !== target.name || !typeMatches(parsed.type, target.type))
      continue;
    matches.push({ path: p, ...parsed });
  }
  const wantedNs = namespace ?? "default";
  const inNs = matches.filter((m) => m.namespace === wantedNs);
  const clusterScoped = matches.filter((m) => m.namespace === "");
  const chosen =
    inNs.length > 0 ? inNs : namespace === undefined || clusterScoped.length > 0 ? clusterScoped : [];
  const types = [...new Set(chosen.map((m) => m.type))];
  if (types.length > 1) {
    throw new CliError(
      `"${target.type}" is ambiguous here; use one of: ${types.map((t) => `${t}/${target.name}`).join(", ")}`,
      ExitCodes.config,
    );
  }
  const first = chosen[0];
  if (first === undefined) {
    const elsewhere = [...new Set(matches.map((m) => m.namespace || "(cluster scope)"))];
    const hint = elsewhere.length > 0 ? ` (found in namespace ${elsewhere.join(", ")}: use -n)` : "";
    const where = namespace === undefined ? "" : ` in namespace ${namespace}`;
    throw new CliError(
      `${target.type}/${target.name}${where} was never recorded in ${repo}${hint}`,
      ExitCodes.failure,
    );
  }
  return first.path;
}
