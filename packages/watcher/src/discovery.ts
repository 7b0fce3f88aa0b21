/**
 * Which resource types the server serves. Aggregated discovery (one request each for /api and /apis)
 * where the server offers it, legacy discovery (/api, /apis, then /apis/g/v per group version)
 * otherwise. Only resources that support list and watch, no subresources, one version per
 * group/resource: the first in the server's preference order that serves it.
 */
import type { ResourceType } from "@shiplog/core";
import { isRecord, typeId } from "@shiplog/core";
import type { ApiClientLike } from "./api-client.js";
import { ApiStatusError } from "./errors/api-status-error.js";
import { DiscoveryError } from "./errors/discovery-error.js";

export const AGGREGATED_DISCOVERY_ACCEPT =
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";

export interface DiscoveryResult {
  readonly types: ResourceType[];
  /** Group versions that could not be discovered (aggregated API down, stale): skipped, not fatal. */
  readonly failedGroupVersions: { groupVersion: string; reason: string }[];
  readonly mode: "aggregated" | "legacy";
}

/** Only the `get` the discovery needs, so a captured document can stand in for the server in unit tests. */
export type DiscoveryClient = Pick<ApiClientLike, "getJson">;

export async function discover(client: DiscoveryClient, signal: AbortSignal): Promise<DiscoveryResult> {
  try {
    const core = await client.getJson("/api", signal, AGGREGATED_DISCOVERY_ACCEPT);
    const groups = await client.getJson("/apis", signal, AGGREGATED_DISCOVERY_ACCEPT);
    if (isAggregated(core.contentType, core.body) && isAggregated(groups.contentType, groups.body)) {
      const failed: DiscoveryResult["failedGroupVersions"] = [];
      const types = [
        ...parseAggregatedDiscovery(core.body, failed),
        ...parseAggregatedDiscovery(groups.body, failed),
      ];
      return { types: dedupe(types), failedGroupVersions: failed, mode: "aggregated" };
    }
    return await legacyDiscovery(client, core.body, groups.body, signal);
  } catch (err) {
    if (err instanceof DiscoveryError) throw err;
    throw new DiscoveryError(`discovery failed: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}

function isAggregated(contentType: string, body: unknown): boolean {
  return (
    contentType.includes("as=APIGroupDiscoveryList") ||
    (isRecord(body) && body["kind"] === "APIGroupDiscoveryList")
  );
}

/** Parse an `apidiscovery.k8s.io/v2` `APIGroupDiscoveryList`. Versions come in preference order. */
export function parseAggregatedDiscovery(
  doc: unknown,
  failed: { groupVersion: string; reason: string }[] = [],
): ResourceType[] {
  if (!isRecord(doc) || !Array.isArray(doc["items"]))
    throw new DiscoveryError("APIGroupDiscoveryList has no items");
  const out: ResourceType[] = [];
  for (const item of doc["items"] as unknown[]) {
    if (!isRecord(item)) continue;
    const meta = isRecord(item["metadata"]) ? item["metadata"] : {};
    const group = typeof meta["name"] === "string" ? meta["name"] : "";
    const versions = Array.isArray(item["versions"]) ? (item["versions"] as unknown[]) : [];
    const seen = new Set<string>();
    for (const v of versions) {
      if (!isRecord(v) || typeof v["version"] !== "string") continue;
      const version = v["version"];
      const gv = group === "" ? version : `${group}/${version}`;
      if (v["freshness"] === "Stale") {
        failed.push({ groupVersion: gv, reason: "stale in aggregated discovery" });
        continue;
      }
      const resources = Array.isArray(v["resources"]) ? (v["resources"] as unknown[]) : [];
      for (const r of resources) {
        if (!isRecord(r) || typeof r["resource"] !== "string") continue;
        const resource = r["resource"];
        if (resource.includes("/") || seen.has(resource)) continue;
        const verbs = Array.isArray(r["verbs"]) ? (r["verbs"] as unknown[]) : [];
        if (!verbs.includes("list") || !verbs.includes("watch")) continue;
        const rk = isRecord(r["responseKind"]) ? r["responseKind"] : {};
        const kind = typeof rk["kind"] === "string" ? rk["kind"] : "";
        if (kind === "") continue;
        seen.add(resource);
        out.push({ group, version, resource, kind, namespaced: r["scope"] === "Namespaced" });
      }
    }
  }
  return out;
}

/** Parse a legacy `APIResourceList` (the body of /api/v1 or /apis/g/v). */
export function parseApiResourceList(group: string, version: string, doc: unknown): ResourceType[] {
  if (!isRecord(doc) || !Array.isArray(doc["resources"])) {
    throw new DiscoveryError(`APIResourceList for ${group}/${version} has no resources`);
  }
  const out: ResourceType[] = [];
  for (const r of doc["resources"] as unknown[]) {
    if (!isRecord(r) || typeof r["name"] !== "string" || r["name"].includes("/")) continue;
    const verbs = Array.isArray(r["verbs"]) ? (r["verbs"] as unknown[]) : [];
    if (!verbs.includes("list") || !verbs.includes("watch")) continue;
    if (typeof r["kind"] !== "string") continue;
    out.push({ group, version, resource: r["name"], kind: r["kind"], namespaced: r["namespaced"] === true });
  }
  return out;
}

async function legacyDiscovery(
  client: DiscoveryClient,
  apiDoc: unknown,
  apisDoc: unknown,
  signal: AbortSignal,
): Promise<DiscoveryResult> {
  // The server ignored our aggregated Accept (or only half-supports it): ask again for plain JSON.
  const core =
    isRecord(apiDoc) && Array.isArray(apiDoc["versions"])
      ? apiDoc
      : (await client.getJson("/api", signal)).body;
  const groups =
    isRecord(apisDoc) && Array.isArray(apisDoc["groups"])
      ? apisDoc
      : (await client.getJson("/apis", signal)).body;
  const groupVersions: { group: string; versions: string[] }[] = [];
  if (isRecord(core) && Array.isArray(core["versions"])) {
    groupVersions.push({
      group: "",
      versions: (core["versions"] as unknown[]).filter((v) => typeof v === "string"),
    });
  }
  if (isRecord(groups) && Array.isArray(groups["groups"])) {
    for (const g of groups["groups"] as unknown[]) {
      if (!isRecord(g) || typeof g["name"] !== "string") continue;
      const preferred = isRecord(g["preferredVersion"]) ? g["preferredVersion"]["version"] : undefined;
      const versions = (Array.isArray(g["versions"]) ? (g["versions"] as unknown[]) : [])
        .map((v) => (isRecord(v) && typeof v["version"] === "string" ? v["version"] : undefined))
        .filter((v): v is string => v !== undefined);
      // preferred first, then the server's order
      versions.sort((a, b) => (a === preferred ? -1 : b === preferred ? 1 : 0));
      groupVersions.push({ group: g["name"], versions });
    }
  }
  const failed: DiscoveryResult["failedGroupVersions"] = [];
  const types: ResourceType[] = [];
  for (const { group, versions } of groupVersions) {
    for (const version of versions) {
      const path = group === "" ? `/api/${version}` : `/apis/${group}/${version}`;
      try {
        const { body } = await client.getJson(path, signal);
        types.push(...parseApiResourceList(group, version, body));
      } catch (err) {
        if (signal.aborted) throw err;
        // One unavailable aggregated API (503) must not hide every other type.
        const reason = err instanceof ApiStatusError ? `${err.code} ${err.reason}` : String(err);
        failed.push({ groupVersion: group === "" ? version : `${group}/${version}`, reason });
      }
    }
  }
  return { types: dedupe(types), failedGroupVersions: failed, mode: "legacy" };
}

/** Keep the first (preferred) version of each group/resource. */
function dedupe(types: ResourceType[]): ResourceType[] {
  const seen = new Set<string>();
  return types.filter((t) => {
    const id = typeId(t);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
