/**
 * The watcher's apiserver client (`ApiClient`): discovery GETs, paginated lists and watch streams.
 * The kubeconfig (`KubeAccess`) supplies only the server and the credentials of each request;
 * requests, streaming and aborts are ours, so that every failure becomes an `ApiStatusError` or a
 * `TransportError` in this one place.
 */
import * as http from "node:http";
import * as https from "node:https";
import type { KubeObject, ResourceType } from "@shiplog/core";
import { isRecord, parseRetryAfter } from "@shiplog/core";
import { ApiStatusError } from "./errors/api-status-error.js";
import { TransportError } from "./errors/transport-error.js";
import type { KubeAccess } from "./kube-access.js";

export interface ListParams {
  readonly labelSelector?: string;
  readonly limit?: number;
  readonly continueToken?: string;
  /** Unset: a consistent (quorum) read of the latest state. */
  readonly resourceVersion?: string;
}

export interface ListPage {
  readonly items: KubeObject[];
  readonly resourceVersion: string;
  /** Continue token for the next page; absent on the last page. */
  readonly continueToken?: string;
}

export interface WatchParams {
  readonly resourceVersion: string;
  readonly timeoutSeconds: number;
  readonly labelSelector?: string;
  readonly allowWatchBookmarks?: boolean;
  /**
   * A streaming list (WatchList, KEP-3157): the watch first sends the current state as ADDED events,
   * then a BOOKMARK annotated `k8s.io/initial-events-end: "true"` whose resourceVersion is the list's.
   * Needs `resourceVersionMatch: "NotOlderThan"`.
   */
  readonly sendInitialEvents?: boolean;
  readonly resourceVersionMatch?: "NotOlderThan";
}

/** The annotation of the bookmark that ends a streaming list's initial events. */
export const INITIAL_EVENTS_END = "k8s.io/initial-events-end";

export const WatchEventTypes = {
  added: "ADDED",
  modified: "MODIFIED",
  deleted: "DELETED",
  bookmark: "BOOKMARK",
  error: "ERROR",
} as const;
export type WatchEventType = (typeof WatchEventTypes)[keyof typeof WatchEventTypes];

const WATCH_EVENT_TYPES: ReadonlySet<string> = new Set(Object.values(WatchEventTypes));

export interface WatchEvent {
  readonly type: WatchEventType;
  readonly object: KubeObject;
}

export interface ApiClientOptions {
  /**
   * A watch that delivers no byte (event or bookmark) for this long is aborted and reopened from the
   * last resourceVersion. Must exceed the apiserver's bookmark interval (about 60 s).
   * @defaultValue 150000
   */
  inactivityTimeoutMs?: number;
  /** Timeout of a non-watch request (list page, discovery document). @defaultValue 60000 */
  requestTimeoutMs?: number;
}

const JSON_ACCEPT = "application/json";
const MAX_ERROR_BODY = 64 * 1024;

/** Path of a type's collection, e.g. `/apis/apps/v1/deployments` or `/api/v1/configmaps`. */
export function collectionPath(t: Pick<ResourceType, "group" | "version" | "resource">): string {
  return t.group === "" ? `/api/${t.version}/${t.resource}` : `/apis/${t.group}/${t.version}/${t.resource}`;
}

/**
 * What the watcher needs of the apiserver: discovery documents, list pages and watch streams. The
 * watcher, its reflectors and the rediscovery trigger take this, so unit tests can hand them a fake
 * (src/testing/fake-api-client.ts) and a fake clock.
 */
export type ApiClientLike = Pick<ApiClient, "getJson" | "list" | "watch">;

export class ApiClient {
  readonly #kc: KubeAccess;
  readonly #inactivityTimeoutMs: number;
  readonly #requestTimeoutMs: number;

  constructor(kc: KubeAccess, opts: ApiClientOptions = {}) {
    this.#kc = kc;
    this.#inactivityTimeoutMs = opts.inactivityTimeoutMs ?? 150_000;
    this.#requestTimeoutMs = opts.requestTimeoutMs ?? 60_000;
  }

  /** GET a JSON document. Returns the parsed body and the response content type. */
  async getJson(
    path: string,
    signal: AbortSignal,
    accept: string = JSON_ACCEPT,
  ): Promise<{ body: unknown; contentType: string }> {
    const res = await this.#request(path, {}, accept, signal, this.#requestTimeoutMs);
    const text = await readBody(res, Infinity, signal, this.#requestTimeoutMs);
    return { body: parseJson(text, path), contentType: String(res.headers["content-type"] ?? "") };
  }

  async list(t: ResourceType, p: ListParams, signal: AbortSignal): Promise<ListPage> {
    const query: Record<string, string> = {};
    if (p.labelSelector) query["labelSelector"] = p.labelSelector;
    if (p.limit !== undefined && p.limit > 0) query["limit"] = String(p.limit);
    if (p.continueToken) query["continue"] = p.continueToken;
    if (p.resourceVersion !== undefined) query["resourceVersion"] = p.resourceVersion;
    const { body } = await this.#getJsonWithQuery(collectionPath(t), query, signal);
    if (!isRecord(body) || !Array.isArray(body["items"])) {
      throw new TransportError(`list ${collectionPath(t)}: response has no items`, "BAD_RESPONSE");
    }
    const meta = isRecord(body["metadata"]) ? body["metadata"] : {};
    const cont =
      typeof meta["continue"] === "string" && meta["continue"] !== "" ? meta["continue"] : undefined;
    const page: ListPage = {
      items: body["items"] as KubeObject[],
      resourceVersion: typeof meta["resourceVersion"] === "string" ? meta["resourceVersion"] : "",
      ...(cont !== undefined ? { continueToken: cont } : {}),
    };
    return page;
  }

  async #getJsonWithQuery(
    path: string,
    query: Record<string, string>,
    signal: AbortSignal,
  ): Promise<{ body: unknown }> {
    const res = await this.#request(path, query, JSON_ACCEPT, signal, this.#requestTimeoutMs);
    const text = await readBody(res, Infinity, signal, this.#requestTimeoutMs);
    return { body: parseJson(text, path) };
  }

  /**
   * Open a watch and yield its events. The iterator ends when the server closes the stream (its
   * `timeoutSeconds` elapsed); it throws `ApiStatusError` for a non-200 answer (ERROR events are
   * yielded, the caller translates them with `statusErrorFromEvent`) and `TransportError` for
   * broken connections and inactivity. Aborting `signal` ends it quietly. `onOpen` is called once the
   * server answered 200, before any event (a resumed watch is "synced" from then on).
   */
  async *watch(
    t: ResourceType,
    p: WatchParams,
    signal: AbortSignal,
    onOpen?: () => void,
  ): AsyncGenerator<WatchEvent> {
    const query: Record<string, string> = {
      watch: "true",
      resourceVersion: p.resourceVersion,
      timeoutSeconds: String(p.timeoutSeconds),
    };
    if (p.allowWatchBookmarks ?? true) query["allowWatchBookmarks"] = "true";
    if (p.labelSelector) query["labelSelector"] = p.labelSelector;
    if (p.sendInitialEvents !== undefined) query["sendInitialEvents"] = String(p.sendInitialEvents);
    if (p.resourceVersionMatch !== undefined) query["resourceVersionMatch"] = p.resourceVersionMatch;
    const res = await this.#request(collectionPath(t), query, JSON_ACCEPT, signal, this.#requestTimeoutMs);
    onOpen?.();
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        res.destroy(
          new TransportError(
            `watch ${collectionPath(t)}: no data for ${this.#inactivityTimeoutMs} ms`,
            "INACTIVITY_TIMEOUT",
          ),
        );
      }, this.#inactivityTimeoutMs);
    };
    arm();
    res.setEncoding("utf8");
    let buf = "";
    try {
      for await (const chunk of res as AsyncIterable<string>) {
        arm();
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line === "") continue;
          yield parseWatchLine(line, t);
        }
      }
      if (buf.trim() !== "") yield parseWatchLine(buf.trim(), t);
    } catch (err) {
      if (signal.aborted) return;
      throw toTransportError(err, `watch ${collectionPath(t)}`);
    } finally {
      clearTimeout(timer);
      res.destroy();
    }
  }

  async #request(
    path: string,
    query: Record<string, string>,
    accept: string,
    signal: AbortSignal,
    connectTimeoutMs: number,
  ): Promise<http.IncomingMessage> {
    const cluster = this.#kc.getCurrentCluster();
    if (!cluster) throw new TransportError("kubeconfig has no current cluster", "NO_CLUSTER");
    const url = new URL(cluster.server.replace(/\/+$/, "") + path);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const opts: https.RequestOptions = { method: "GET", headers: { Accept: accept } };
    try {
      await this.#kc.applyToHTTPSOptions(opts);
    } catch (err) {
      throw new TransportError(`authenticating to ${cluster.server}`, "AUTH", { cause: err });
    }
    if (signal.aborted) throw new TransportError(`GET ${path}: aborted`, "ABORTED");
    const mod = url.protocol === "http:" ? http : https;
    const what = `GET ${path}`;
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = mod.request(url, { ...opts, signal }, resolve);
      req.setTimeout(connectTimeoutMs, () => {
        req.destroy(new TransportError(`${what}: no response within ${connectTimeoutMs} ms`, "TIMEOUT"));
      });
      req.on("error", (err) => reject(toTransportError(err, what)));
      req.end();
    });
    res.socket?.setTimeout(0);
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return res;
    const body = await readBody(res, MAX_ERROR_BODY, signal, connectTimeoutMs).catch(() => "");
    throw statusErrorFromHttp(status, res.headers["retry-after"], body, what);
  }
}

/** Translate a watch ERROR event's `Status` object. */
export function statusErrorFromEvent(obj: KubeObject, what: string): ApiStatusError {
  const code = typeof obj["code"] === "number" ? obj["code"] : 500;
  const reason = typeof obj["reason"] === "string" ? obj["reason"] : "";
  const message = typeof obj["message"] === "string" ? obj["message"] : "watch error";
  return new ApiStatusError(
    code,
    reason,
    `${what}: ${code} ${reason}: ${message}`,
    retryAfterFromDetails(obj),
  );
}

function statusErrorFromHttp(
  status: number,
  retryAfter: string | string[] | undefined,
  body: string,
  what: string,
): ApiStatusError {
  let reason = "";
  let message = http.STATUS_CODES[status] ?? "error";
  let detailsRetry: number | undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    if (isRecord(parsed)) {
      if (typeof parsed["reason"] === "string") reason = parsed["reason"];
      if (typeof parsed["message"] === "string") message = parsed["message"];
      detailsRetry = retryAfterFromDetails(parsed);
    }
  } catch (err) {
    // Not a Status object (proxy error page, empty body): keep the HTTP status text.
    message = `${message} (${err instanceof Error ? "non-JSON body" : "unreadable body"})`;
  }
  const header = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter;
  const headerMs = parseRetryAfter(header, Date.now());
  return new ApiStatusError(
    status,
    reason,
    `${what}: ${status} ${reason}: ${message}`,
    headerMs ?? detailsRetry,
  );
}

function retryAfterFromDetails(obj: Record<string, unknown>): number | undefined {
  const details = obj["details"];
  if (
    isRecord(details) &&
    typeof details["retryAfterSeconds"] === "number" &&
    details["retryAfterSeconds"] > 0
  ) {
    return details["retryAfterSeconds"] * 1000;
  }
  return undefined;
}

function parseWatchLine(line: string, t: ResourceType): WatchEvent {
  const parsed = parseJson(line, `watch ${collectionPath(t)}`);
  if (!isRecord(parsed) || typeof parsed["type"] !== "string" || !isRecord(parsed["object"])) {
    throw new TransportError(`watch ${collectionPath(t)}: malformed event`, "BAD_RESPONSE");
  }
  const type = parsed["type"];
  if (!isWatchEventType(type)) {
    throw new TransportError(`watch ${collectionPath(t)}: unknown event type ${type}`, "BAD_RESPONSE");
  }
  return { type, object: parsed["object"] };
}

function isWatchEventType(s: string): s is WatchEventType {
  return WATCH_EVENT_TYPES.has(s);
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new TransportError(`${what}: invalid JSON`, "BAD_RESPONSE", { cause: err });
  }
}

function readBody(
  res: http.IncomingMessage,
  max: number,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => {
      res.destroy(new TransportError(`reading response: no end within ${timeoutMs} ms`, "TIMEOUT"));
    }, timeoutMs);
    res.on("data", (c: Buffer) => {
      if (size < max) chunks.push(c);
      size += c.length;
    });
    res.on("end", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("utf8"));
    });
    res.on("error", (err) => {
      clearTimeout(timer);
      reject(
        signal.aborted
          ? new TransportError("aborted", "ABORTED", { cause: err })
          : toTransportError(err, "reading response"),
      );
    });
  });
}

function toTransportError(err: unknown, what: string): TransportError | ApiStatusError {
  if (err instanceof TransportError || err instanceof ApiStatusError) return err;
  const code = isRecord(err) && typeof err["code"] === "string" ? err["code"] : "UNKNOWN";
  const msg = err instanceof Error ? err.message : String(err);
  return new TransportError(`${what}: ${msg}`, code, { cause: err });
}
