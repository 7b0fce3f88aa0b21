/** Plain JSON requests to the apiserver (version, discovery, access reviews), authenticated by the kubeconfig. */
import { request as httpsRequest, type RequestOptions } from "node:https";
import { request as httpRequest } from "node:http";
import { isRecord } from "@shiplog/core";
import type { KubeAccess } from "@shiplog/watcher";

export class KubeHttpError extends Error {
  override readonly name = "KubeHttpError";
  constructor(
    message: string,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function kubeGetJson(kc: KubeAccess, path: string, timeoutMs = 15_000): Promise<unknown> {
  return kubeRequestJson(kc, "GET", path, undefined, timeoutMs);
}

/** One request with a JSON body (or none); resolves with the parsed 2xx response, else `KubeHttpError`. */
export async function kubeRequestJson(
  kc: KubeAccess,
  method: "GET" | "POST",
  path: string,
  body: unknown,
  timeoutMs = 15_000,
): Promise<unknown> {
  const server = kc.getCurrentCluster()?.server;
  if (server === undefined) throw new KubeHttpError("the kubeconfig has no current cluster", undefined);
  const url = new URL(server.replace(/\/+$/, "") + path);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const opts: RequestOptions = {
    method,
    headers: {
      accept: "application/json",
      ...(payload !== undefined ? { "content-type": "application/json" } : {}),
    },
  };
  await kc.applyToHTTPSOptions(opts);
  const req = url.protocol === "http:" ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const r = req(url, { ...opts, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          const why = statusMessage(text);
          reject(new KubeHttpError(`${method} ${path}: HTTP ${status}${why ? ` (${why})` : ""}`, status));
          return;
        }
        try {
          resolve(JSON.parse(text));
        } catch (err) {
          reject(new KubeHttpError(`${method} ${path}: response is not JSON`, status, { cause: err }));
        }
      });
      res.on("error", reject);
    });
    r.on("timeout", () => r.destroy(new KubeHttpError(`${method} ${path}: timed out`, undefined)));
    r.on("error", reject);
    r.end(payload);
  });
}

/** The `message` of a `Status` body, if the body is one. */
function statusMessage(text: string): string | undefined {
  try {
    const doc: unknown = JSON.parse(text);
    return isRecord(doc) && typeof doc["message"] === "string" ? doc["message"].slice(0, 300) : undefined;
  } catch {
    return undefined;
  }
}

export interface DiscoveredType {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
}

function resourcesOf(group: string, version: string, doc: unknown): DiscoveredType[] {
  if (!isRecord(doc) || !Array.isArray(doc["resources"])) return [];
  const out: DiscoveredType[] = [];
  for (const r of doc["resources"] as unknown[]) {
    if (!isRecord(r) || typeof r["name"] !== "string" || r["name"].includes("/")) continue;
    out.push({
      group,
      version,
      resource: r["name"],
      kind: typeof r["kind"] === "string" ? r["kind"] : "",
      namespaced: r["namespaced"] === true,
      verbs: Array.isArray(r["verbs"])
        ? (r["verbs"] as unknown[]).filter((v): v is string => typeof v === "string")
        : [],
    });
  }
  return out;
}

/** Preferred version of every group's top-level resources (legacy discovery; doctor and pre-flight only). */
export async function discoverTypes(kc: KubeAccess): Promise<{ types: DiscoveredType[]; failed: string[] }> {
  const types = resourcesOf("", "v1", await kubeGetJson(kc, "/api/v1"));
  const failed: string[] = [];
  const groups = await kubeGetJson(kc, "/apis");
  const list = isRecord(groups) && Array.isArray(groups["groups"]) ? (groups["groups"] as unknown[]) : [];
  await Promise.all(
    list.map(async (g) => {
      if (!isRecord(g) || typeof g["name"] !== "string" || !isRecord(g["preferredVersion"])) return;
      const gv = g["preferredVersion"]["groupVersion"];
      const version = g["preferredVersion"]["version"];
      if (typeof gv !== "string" || typeof version !== "string") return;
      try {
        types.push(...resourcesOf(g["name"], version, await kubeGetJson(kc, `/apis/${gv}`)));
      } catch (err) {
        // An aggregated API that is down: reported by the caller, the rest is still usable.
        failed.push(`${gv} (${err instanceof Error ? err.message : String(err)})`);
      }
    }),
  );
  return { types, failed };
}
