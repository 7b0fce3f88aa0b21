// Test support (not shipped): a scripted apiserver client for the reflector, rediscovery and watcher
// unit tests, in the manner of client-go's fake ListerWatcher. Lists and watches answer from per-type
// scripts; with nothing scripted a list returns an empty page and a watch stays open until aborted,
// so a test never spins. Discovery serves `served` as aggregated discovery documents.
import type { Clock, KubeObject, ResourceType } from "@shiplog/core";
import { typeId } from "@shiplog/core";
import type { ApiClientLike, ListPage, ListParams, WatchEvent, WatchParams } from "../api-client.js";
import { INITIAL_EVENTS_END } from "../api-client.js";
import { ApiStatusError } from "../errors/api-status-error.js";
import { TransportError } from "../errors/transport-error.js";

/** A page, an error to throw, or a function for anything else (e.g. a list that hangs). */
export type ListReply = ListPage | Error | ((p: ListParams, signal: AbortSignal) => Promise<ListPage>);

/**
 * An error to throw when the watch is opened (a non-200 answer), the events of a stream that then
 * ends (`[]`: the server closes it at once), or a `FakeWatch` the test drives.
 */
export type WatchReply = Error | readonly WatchEvent[] | FakeWatch;

export interface Call {
  readonly op: "get" | "list" | "watch";
  /** Type id, or the path of a `get`. */
  readonly target: string;
  readonly params?: ListParams | WatchParams;
  /** Clock time of the call. */
  readonly at: number;
}

type Item = { readonly event: WatchEvent } | { readonly end: true } | { readonly error: unknown };

/** A watch stream the test feeds. Ends quietly when the caller aborts, as `ApiClient.watch` does. */
export class FakeWatch {
  readonly #items: Item[] = [];
  #wake: (() => void) | undefined;

  static of(events: readonly WatchEvent[]): FakeWatch {
    const w = new FakeWatch();
    for (const e of events) w.emit(e.type, e.object);
    w.end();
    return w;
  }

  emit(type: WatchEvent["type"], object: KubeObject): void {
    this.#push({ event: { type, object } });
  }

  /** The server closes the stream. */
  end(): void {
    this.#push({ end: true });
  }

  /** The connection breaks. */
  fail(error: unknown): void {
    this.#push({ error });
  }

  async *stream(signal: AbortSignal): AsyncGenerator<WatchEvent> {
    for (;;) {
      while (this.#items.length === 0) {
        if (signal.aborted) return;
        await new Promise<void>((resolve) => {
          const done = (): void => {
            signal.removeEventListener("abort", done);
            this.#wake = undefined;
            resolve();
          };
          this.#wake = done;
          signal.addEventListener("abort", done, { once: true });
        });
      }
      if (signal.aborted) return;
      const item = this.#items.shift();
      if (item === undefined || "end" in item) return;
      if ("error" in item) throw item.error;
      yield item.event;
    }
  }

  #push(item: Item): void {
    this.#items.push(item);
    this.#wake?.();
  }
}

/** A list that never answers; it rejects the way `ApiClient` does once the caller aborts. */
export function hangingList(_p: ListParams, signal: AbortSignal): Promise<ListPage> {
  return new Promise((_resolve, reject) => {
    signal.addEventListener("abort", () => reject(new TransportError("aborted", "ABORTED")), { once: true });
  });
}

export class FakeApiClient implements ApiClientLike {
  readonly calls: Call[] = [];
  /** Types that discovery serves. */
  served: ResourceType[] = [];
  /** Group versions (`example.com/v1`, `v1`) that aggregated discovery marks Stale (their types are not served). */
  stale = new Set<string>();
  /**
   * Serve streaming lists (a watch with `sendInitialEvents`) from the list replies: their items as
   * ADDED events, then the initial-events-end bookmark. False: refuse them with 422, as an apiserver
   * whose WatchList feature is off does.
   */
  streamingLists = false;
  /** When set, discovery requests fail with it. */
  discoveryError: Error | undefined;
  readonly #clock: Clock | undefined;
  readonly #lists = new Map<string, ListReply[]>();
  readonly #watches = new Map<string, WatchReply[]>();
  readonly #open = new Map<string, FakeWatch>();

  constructor(clock?: Clock) {
    this.#clock = clock;
  }

  /** Replies to the next lists of `type`, in order. */
  onList(type: ResourceType, ...replies: ListReply[]): this {
    this.#lists.set(typeId(type), [...(this.#lists.get(typeId(type)) ?? []), ...replies]);
    return this;
  }

  /** Replies to the next watches of `type`, in order. */
  onWatch(type: ResourceType, ...replies: WatchReply[]): this {
    this.#watches.set(typeId(type), [...(this.#watches.get(typeId(type)) ?? []), ...replies]);
    return this;
  }

  /** The watch of `type` opened last (undefined before the first). */
  lastWatch(type: ResourceType): FakeWatch | undefined {
    return this.#open.get(typeId(type));
  }

  callsOf(op: Call["op"], type?: ResourceType): Call[] {
    return this.calls.filter((c) => c.op === op && (type === undefined || c.target === typeId(type)));
  }

  getJson(path: string, _signal: AbortSignal): Promise<{ body: unknown; contentType: string }> {
    this.#record("get", path);
    if (this.discoveryError) return Promise.reject(this.discoveryError);
    if (path !== "/api" && path !== "/apis") {
      return Promise.reject(new TransportError(`fake: no document at ${path}`, "BAD_RESPONSE"));
    }
    const core = path === "/api";
    const groups = new Map<string, Map<string, ResourceType[]>>();
    for (const t of this.served) {
      if ((t.group === "") !== core) continue;
      const versions = groups.get(t.group) ?? new Map<string, ResourceType[]>();
      versions.set(t.version, [...(versions.get(t.version) ?? []), t]);
      groups.set(t.group, versions);
    }
    const body = {
      kind: "APIGroupDiscoveryList",
      apiVersion: "apidiscovery.k8s.io/v2",
      items: [...groups].map(([group, versions]) => ({
        metadata: { name: group },
        versions: [...versions].map(([version, types]) => ({
          version,
          ...(this.stale.has(group === "" ? version : `${group}/${version}`) ? { freshness: "Stale" } : {}),
          resources: types.map((t) => ({
            resource: t.resource,
            responseKind: { group: t.group, version: t.version, kind: t.kind },
            scope: t.namespaced ? "Namespaced" : "Cluster",
            verbs: ["get", "list", "watch"],
          })),
        })),
      })),
    };
    return Promise.resolve({
      body,
      contentType: "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
    });
  }

  list(t: ResourceType, p: ListParams, signal: AbortSignal): Promise<ListPage> {
    this.#record("list", typeId(t), p);
    const reply = this.#lists.get(typeId(t))?.shift() ?? { items: [], resourceVersion: "1" };
    if (reply instanceof Error) return Promise.reject(reply);
    if (typeof reply === "function") return reply(p, signal);
    return Promise.resolve(reply);
  }

  async *watch(
    t: ResourceType,
    p: WatchParams,
    signal: AbortSignal,
    onOpen?: () => void,
  ): AsyncGenerator<WatchEvent> {
    this.#record("watch", typeId(t), p);
    if (p.sendInitialEvents === true) {
      yield* this.#streamList(t, p, signal, onOpen);
      return;
    }
    const reply = this.#watches.get(typeId(t))?.shift() ?? new FakeWatch();
    if (reply instanceof Error) throw reply;
    onOpen?.();
    const w = reply instanceof FakeWatch ? reply : FakeWatch.of(reply);
    this.#open.set(typeId(t), w);
    yield* w.stream(signal);
  }

  async *#streamList(
    t: ResourceType,
    p: WatchParams,
    signal: AbortSignal,
    onOpen?: () => void,
  ): AsyncGenerator<WatchEvent> {
    if (!this.streamingLists) {
      throw new ApiStatusError(
        422,
        "Invalid",
        `watch ${typeId(t)}: 422 Invalid: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled`,
      );
    }
    const reply = this.#lists.get(typeId(t))?.shift() ?? { items: [], resourceVersion: "1" };
    if (reply instanceof Error) throw reply;
    const page =
      typeof reply === "function"
        ? await reply(p.labelSelector !== undefined ? { labelSelector: p.labelSelector } : {}, signal)
        : reply;
    onOpen?.();
    for (const object of page.items) yield { type: "ADDED", object };
    yield {
      type: "BOOKMARK",
      object: {
        kind: "ConfigMap",
        apiVersion: "v1",
        metadata: { resourceVersion: page.resourceVersion, annotations: { [INITIAL_EVENTS_END]: "true" } },
      },
    };
    // An apiserver keeps the stream open after the bookmark; the reflector closes it.
    yield* new FakeWatch().stream(signal);
  }

  #record(op: Call["op"], target: string, params?: ListParams | WatchParams): void {
    this.calls.push({ op, target, ...(params ? { params } : {}), at: this.#clock?.now() ?? 0 });
  }
}
