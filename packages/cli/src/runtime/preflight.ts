/**
 * Start-up checks of the commands that talk to the cluster: the apiserver answers, and the kubeconfig
 * user may list and watch what is configured (SelfSubjectAccessReview per type). A user that may list
 * nothing stops the command with one line; types it may not list are reported and left out.
 */
import type { KubeAccess } from "@shiplog/watcher";
import { typeId, type ShiplogConfig } from "@shiplog/core";
import { CliError, ExitCodes, oneLine } from "../cli-error.js";
import { canI, checkApiServer, mapLimit, serverOf } from "./kube.js";
import { discoverTypes, KubeHttpError, type DiscoveredType } from "./kube-get.js";

export interface AccessReport {
  serverVersion: string;
  /** Types the configuration wants and that support list+watch. */
  wanted: DiscoveredType[];
  /** Type ids the user may list and watch (everywhere in scope). */
  allowed: string[];
  /** Type ids it may not, with the verb that failed. */
  denied: Array<{ type: string; verb: string }>;
  /** Group versions whose discovery failed. */
  failedGroups: string[];
}

export const RBAC_HINT =
  "grant it get, list and watch on the types to record (the ClusterRole in deploy/; to try it: kubectl create clusterrolebinding shiplog-view --clusterrole=view --user=USER)";

function wantedBy(cfg: ShiplogConfig, t: DiscoveredType): boolean {
  const id = typeId(t);
  const inc = cfg.watch.include;
  const exc = cfg.watch.exclude;
  if (!t.verbs.includes("list") || !t.verbs.includes("watch")) return false;
  if (exc.groups.includes(t.group) || exc.resources.includes(id)) return false;
  if (inc.groups.length > 0 && !inc.groups.includes(t.group)) return false;
  if (inc.resources.length > 0 && !inc.resources.includes(id)) return false;
  if (!t.namespaced && inc.namespaces.length > 0) return false;
  return true;
}

export async function checkAccess(kc: KubeAccess, cfg: ShiplogConfig): Promise<AccessReport> {
  const serverVersion = await checkApiServer(kc);
  let discovered: { types: DiscoveredType[]; failed: string[] };
  try {
    discovered = await discoverTypes(kc);
  } catch (err) {
    if (err instanceof KubeHttpError && (err.status === 401 || err.status === 403)) {
      throw new CliError(
        `the kubeconfig user may not even read API discovery at ${serverOf(kc)}; ${RBAC_HINT}`,
        ExitCodes.forbidden,
        {
          cause: err,
        },
      );
    }
    throw new CliError(`API discovery at ${serverOf(kc)} failed: ${oneLine(err)}`, ExitCodes.unavailable, {
      cause: err,
    });
  }
  const wanted = discovered.types.filter((t) => wantedBy(cfg, t));
  const namespaces = cfg.watch.include.namespaces;
  const denied: Array<{ type: string; verb: string }> = [];
  const allowed: string[] = [];
  await mapLimit(wanted, 8, async (t) => {
    for (const verb of ["list", "watch"]) {
      const scopes: Array<string | undefined> =
        t.namespaced && namespaces.length > 0 ? namespaces : [undefined];
      for (const ns of scopes) {
        const r = await canI(kc, {
          group: t.group,
          resource: t.resource,
          verb,
          ...(ns !== undefined ? { namespace: ns } : {}),
        });
        if (!r.allowed) {
          denied.push({ type: typeId(t), verb: ns === undefined ? verb : `${verb} in ${ns}` });
          return;
        }
      }
    }
    allowed.push(typeId(t));
  });
  if (wanted.length > 0 && allowed.length === 0) {
    throw new CliError(
      `the kubeconfig user may not list and watch any of the ${wanted.length} resource types in scope (RBAC); ${RBAC_HINT}`,
      ExitCodes.forbidden,
    );
  }
  return { serverVersion, wanted, allowed: allowed.sort(), denied, failedGroups: discovered.failed };
}
