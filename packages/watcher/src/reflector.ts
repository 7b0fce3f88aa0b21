/**
 * One reflector per resource type, with client-go's semantics (tools/cache/reflector.go): paginated
 * list, watch from the list's resourceVersion with bookmarks and a randomised timeout, relist on
 * 410/Expired (HTTP status or ERROR event), exponential backoff with jitter honouring Retry-After,
 * and a race-free stop: one loop per reflector, and no request starts after `stop()`.
 *
 * Resume (ADR 0038): a reflector given the resourceVersion its type was queued up to before a
 * restart skips the first list and watches from there, so changes made while the watcher was down
 * arrive as their own events. Its key store then starts empty: every object it hears of is sent (the
 * committer finds unchanged ones unchanged), and a delete of an object it never heard of is sent with
 * the path canonicalization gives it. A 410 on such a watch relists as usual, and that relist's
 * messages carry `gap: "expired"`, so the commit says intermediate changes may be missing.
 *
 * Streaming lists (ADR 0043): with `streamingList`, a list is a watch with `sendInitialEvents=true`
 * (WatchList, KEP-3157): the apiserver streams the current state from its watch cache as ADDED
 * events and ends it with a bookmark annotated `k8s.io/initial-events-end`, whose resourceVersion is
 * the list's. The reflector then finishes the list exactly as after the last page (deletes of
 * vanished objects, sync parts, checkpoint) and watches from there. An apiserver that refuses the
 * parameters (400/422: the WatchList feature is off) or twice ends the stream before the bookmark
 * makes this reflector list in pages from then on.
 */
import type {
  Canonicalizer,
  ChangeMessage,
  Clock,
  KubeObject,
  Logger,
  ResourceKey,
  ResourceType,
  WatchGap,
  WatchMessage,
  WatchOp,
} from "@shiplog/core";
import {
  Backoff,
  CanonicalizeError,
  pathForKey,
  syncMessages,
  typeId,
  WatchGaps,
  WatchOps,
} from "@shiplog/core";
import type { ApiClientLike } from "./api-client.js";
import { INITIAL_EVENTS_END, statusErrorFromEvent, WatchEventTypes } from "./api-client.js";
import type { RelistReason, Verdict } from "./classify-error.js";
import { classifyError, RelistReasons, RetryActions } from "./classify-error.js";
import type { Enqueuer } from "./enqueuer.js";
import { ApiStatusError } from "./errors/api-status-error.js";
import { QueueFull } from "./errors/queue-full.js";
import { TransportError } from "./errors/transport-error.js";
import { KeyStore } from "./key-store.js";
import type { WatcherMetrics } from "./metrics.js";
import type { TypeFilter } from "./type-filter.js";

export const ReflectorStates = {
  pending: "pending",
  listing: "listing",
  watching: "watching",
  backoff: "backoff",
  forbidden: "forbidden",
  waitingForQueue: "waiting-for-queue",
  stopped: "stopped",
} as const;
export type ReflectorState = (typeof ReflectorStates)[keyof typeof ReflectorStates];

export interface ReflectorDeps {
  readonly client: Pick<ApiClientLike, "list" | "watch">;
  readonly canonicalizer: Canonicalizer;
  readonly enqueuer: Pick<
    Enqueuer,
    "push" | "full" | "whenWritable" | "whenBelow" | "whenAcked" | "checkpoint"
  >;
  readonly filter: TypeFilter;
  readonly logger: Logger;
  readonly metrics: WatcherMetrics;
  readonly clock: Clock;
  readonly random: () => number;
  readonly pageSize: number;
  readonly labelSelector?: string;
  /** Watch requests time out after a random duration in [min, 2*min) seconds. */
  readonly minWatchTimeoutSeconds: number;
  readonly backoff?: Backoff;
  /**
   * The resourceVersion this type was queued up to before a restart (the resume store): the first
   * list is skipped and the watch resumes from there.
   */
  readonly resumeFrom?: string;
  /** List by a streaming watch (`sendInitialEvents`), falling back to pages. @defaultValue false */
  readonly streamingList?: boolean;
}

/** A streaming list that ended before its initial-events-end bookmark this many times falls back. */
const STREAM_LIST_INCOMPLETE_LIMIT = 2;

export interface ReflectorStatus {
  readonly type: string;
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly state: ReflectorState;
  readonly objects: number;
  readonly resourceVersion: string;
  readonly synced: boolean;
  /** Resumed from a stored resourceVersion, and not listed since. */
  readonly resumed: boolean;
  readonly lastSyncAt?: string;
  readonly lastError?: string;
}

export class Reflector {
  readonly type: ResourceType;
  readonly id: string;
  readonly #d: ReflectorDeps;
  readonly #store: KeyStore;
  readonly #backoff: Backoff;
  readonly #abort = new AbortController();
  #loop: Promise<void> | undefined;
  #rv = "";
  #state: ReflectorState = ReflectorStates.pending;
  #synced = false;
  #lastSyncAt: string | undefined;
  #lastError: string | undefined;
  #forbiddenLogged = false;
  /** Lists stream (WatchList) until the apiserver shows it cannot. */
  #streaming: boolean;
  #streamIncomplete = 0;
  /** The key store does not know every object: resumed, and not listed since. */
  #partial = false;
  /** Skipped objects a resumed reflector already sent a delete for. */
  readonly #skippedWhilePartial = new Set<string>();
  #resolveFirst!: () => void;
  /**
   * Resolves when the first list's messages and sync message were accepted by Redis (for a resumed
   * reflector: when its first watch was answered), when the type turned out to be forbidden on the
   * first attempt, or on stop.
   */
  readonly firstSync: Promise<void>;

  constructor(type: ResourceType, deps: ReflectorDeps) {
    this.type = type;
    this.id = typeId(type);
    this.#d = deps;
    this.#store = new KeyStore((namespace, name) =>
      pathForKey({ group: type.group, resource: type.resource, namespace, name }),
    );
    this.#backoff = deps.backoff ?? new Backoff({ random: deps.random });
    this.#streaming = deps.streamingList ?? false;
    this.firstSync = new Promise((resolve) => {
      this.#resolveFirst = resolve;
    });
  }

  /** Starts the loop once; later calls do nothing (never two loops for one type). */
  start(): void {
    if (this.#abort.signal.aborted) return;
    this.#loop ??= this.#run();
  }

  /** Aborts any in-flight request and waits for the loop to end. No request starts afterwards. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
    this.#state = ReflectorStates.stopped;
    this.#d.metrics.objects.set({ type: this.id }, 0);
    this.#resolveFirst();
  }

  status(): ReflectorStatus {
    return {
      type: this.id,
      group: this.type.group,
      version: this.type.version,
      resource: this.type.resource,
      state: this.#state,
      objects: this.#store.size,
      resourceVersion: this.#rv,
      synced: this.#synced,
      resumed: this.#partial,
      ...(this.#lastSyncAt !== undefined ? { lastSyncAt: this.#lastSyncAt } : {}),
      ...(this.#lastError !== undefined ? { lastError: this.#lastError } : {}),
    };
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    let needList = true;
    let relistReason: RelistReason = RelistReasons.initial;
    const from = this.#d.resumeFrom ?? "";
    if (from !== "") {
      this.#rv = from;
      this.#partial = true;
      needList = false;
      this.#d.metrics.resumes.inc({ type: this.id });
      this.#d.logger.info({ type: this.id, rv: from }, "resuming the watch from the stored resourceVersion");
    }
    while (!signal.aborted) {
      try {
        if (needList) {
          this.#d.metrics.relists.inc({ type: this.id, reason: relistReason });
          // A resumed watch's history expired: what happened in between is known only as its result.
          const gap = this.#partial && relistReason === RelistReasons.expired ? WatchGaps.expired : undefined;
          if (!this.#streaming || !(await this.#streamList(signal, gap))) await this.#list(signal, gap);
          needList = false;
        }
        await this.#watchOnce(signal);
      } catch (err) {
        if (signal.aborted) break;
        const v = classifyError(err, needList, relistReason);
        relistReason = v.reason;
        needList = await this.#recover(err, v, needList, signal);
      }
    }
  }

  /**
   * Counts, logs and waits as the classifier decided; returns whether the next attempt lists (else it
   * resumes the watch from the last resourceVersion).
   */
  async #recover(err: unknown, v: Verdict, listing: boolean, signal: AbortSignal): Promise<boolean> {
    if (v.kind !== undefined) this.#d.metrics.errors.inc({ type: this.id, kind: v.kind });
    let relist = listing;
    switch (v.action) {
      case RetryActions.waitForQueue:
        this.#state = ReflectorStates.waitingForQueue;
        this.#d.logger.warn(
          { type: this.id },
          "enqueue buffer full: stopped reading, will relist when it drains",
        );
        await this.#d.enqueuer.whenWritable(signal);
        return true;
      case RetryActions.relist:
        // Our resourceVersion is older than etcd's compaction: relist at once, no backoff.
        this.#d.logger.info(
          { type: this.id, rv: this.#rv, err: errorMessage(err) },
          "resourceVersion expired: relisting",
        );
        this.#rv = "";
        return true;
      case RetryActions.forbidden:
        this.#lastError = errorMessage(err);
        if (!this.#forbiddenLogged) {
          this.#forbiddenLogged = true;
          this.#d.logger.warn(
            { type: this.id, err: errorMessage(err) },
            "forbidden: not recording this type, retrying later",
          );
        }
        this.#state = ReflectorStates.forbidden;
        this.#resolveFirst();
        relist = true;
        break;
      case RetryActions.backoff:
        // A failed list lists again; a broken watch resumes from the last resourceVersion (a 410 then
        // relists).
        this.#lastError = errorMessage(err);
        if (err instanceof ApiStatusError) {
          this.#d.logger.warn(
            { type: this.id, code: err.code, reason: err.reason, err: err.message },
            "apiserver error",
          );
        } else {
          this.#d.logger.warn({ type: this.id, err }, listing ? "list failed" : "watch failed");
        }
        this.#state = ReflectorStates.backoff;
        break;
    }
    await this.#d.clock.sleep(this.#backoff.next(this.#d.clock.now(), v.retryAfterMs), signal);
    return relist;
  }

  async #list(signal: AbortSignal, gap: WatchGap | undefined): Promise<void> {
    this.#state = ReflectorStates.listing;
    const seen = new Set<string>();
    let continueToken: string | undefined;
    let listRv: string | undefined;
    for (;;) {
      // A list only pauses between pages: until about two pages' messages wait for Redis (so a fast
      // list does not pile up messages; it also covers a full buffer while Redis is down).
      await this.#betweenPages(signal);
      if (signal.aborted) return;
      let page;
      try {
        page = await this.#d.client.list(
          this.type,
          {
            limit: this.#d.pageSize,
            ...(continueToken !== undefined ? { continueToken } : {}),
            ...(this.#d.labelSelector ? { labelSelector: this.#d.labelSelector } : {}),
          },
          signal,
        );
      } catch (err) {
        if (continueToken !== undefined && err instanceof ApiStatusError && err.expired) {
          // The continue token outlived etcd's compaction: start the list again from a fresh snapshot.
          this.#d.logger.info({ type: this.id }, "list continue token expired: restarting the list");
          seen.clear();
          continueToken = undefined;
          continue;
        }
        throw err;
      }
      listRv = page.resourceVersion;
      const out: WatchMessage[] = [];
      for (const obj of page.items) {
        const key = await this.#apply(obj, WatchOps.listed, out, gap);
        if (key !== undefined) seen.add(key);
      }
      if (out.length > 0) this.#d.enqueuer.push(out);
      continueToken = page.continueToken;
      if (continueToken === undefined || signal.aborted) break;
    }
    if (signal.aborted) return;
    this.#finishList(seen, listRv ?? "", gap);
  }

  /**
   * A streaming list (WatchList). Returns false, having turned streaming off for this reflector, when
   * the apiserver cannot stream lists; the caller then lists in pages. Other errors propagate as a
   * failed list's would.
   */
  async #streamList(signal: AbortSignal, gap: WatchGap | undefined): Promise<boolean> {
    this.#state = ReflectorStates.listing;
    await this.#betweenPages(signal);
    if (signal.aborted) return true;
    const seen = new Set<string>();
    const events = this.#d.client.watch(
      this.type,
      {
        resourceVersion: "",
        resourceVersionMatch: "NotOlderThan",
        sendInitialEvents: true,
        timeoutSeconds: Math.floor(this.#d.minWatchTimeoutSeconds * (1 + this.#d.random())),
        allowWatchBookmarks: true,
        ...(this.#d.labelSelector ? { labelSelector: this.#d.labelSelector } : {}),
      },
      signal,
    );
    let out: WatchMessage[] = [];
    try {
      for await (const ev of events) {
        if (ev.type === WatchEventTypes.error) throw statusErrorFromEvent(ev.object, `list ${this.id}`);
        if (ev.type === WatchEventTypes.bookmark) {
          if (ev.object.metadata?.annotations?.[INITIAL_EVENTS_END] !== "true") continue;
          if (out.length > 0) this.#d.enqueuer.push(out);
          this.#streamIncomplete = 0;
          this.#d.metrics.streamingLists.inc({ type: this.id, outcome: "streamed" });
          // Leaving the loop closes the stream; the watch reopens from the list's resourceVersion.
          this.#finishList(seen, ev.object.metadata?.resourceVersion ?? "", gap);
          return true;
        }
        if (ev.type !== WatchEventTypes.added) {
          throw new TransportError(
            `list ${this.id}: ${ev.type} event before the end of the initial events`,
            "BAD_RESPONSE",
          );
        }
        const key = await this.#apply(ev.object, WatchOps.listed, out, gap);
        if (key !== undefined) seen.add(key);
        if (out.length >= this.#d.pageSize) {
          // As between pages: hand a page's worth to Redis, and pause while about two pages wait.
          this.#d.enqueuer.push(out);
          out = [];
          await this.#betweenPages(signal);
        }
      }
    } catch (err) {
      if (signal.aborted) return true;
      if (err instanceof ApiStatusError && (err.code === 400 || err.code === 422)) {
        return this.#stopStreaming(`the apiserver refused a streaming list: ${err.message}`);
      }
      throw err;
    }
    if (out.length > 0) this.#d.enqueuer.push(out);
    if (signal.aborted) return true;
    // The stream ended before the bookmark (a timeout, a restart, or an apiserver that ignores the
    // parameters): what was sent stays sent; the next attempt lists again.
    if (++this.#streamIncomplete >= STREAM_LIST_INCOMPLETE_LIMIT) {
      return this.#stopStreaming("streaming lists ended before their initial-events-end bookmark");
    }
    throw new TransportError(
      `list ${this.id}: the streaming list ended before its initial-events-end bookmark`,
      "STREAM_LIST_INCOMPLETE",
    );
  }

  /** A list's pause: until the buffer takes messages and about two pages' worth wait for Redis. */
  async #betweenPages(signal: AbortSignal): Promise<void> {
    await this.#d.enqueuer.whenWritable(signal);
    await this.#d.enqueuer.whenBelow(2 * this.#d.pageSize, signal);
  }

  #stopStreaming(reason: string): false {
    this.#streaming = false;
    this.#d.metrics.streamingLists.inc({ type: this.id, outcome: "fallback" });
    this.#d.logger.info({ type: this.id, reason }, "listing in pages: streaming lists are not available");
    return false;
  }

  /** After the last page (or the initial-events-end bookmark): deletes, sync parts and checkpoint. */
  #finishList(seen: ReadonlySet<string>, listRv: string, gap: WatchGap | undefined): void {
    // Objects we knew that the list no longer has vanished while we did not watch.
    const gone = this.#store.retainOnly(seen);
    const now = new Date(this.#d.clock.now()).toISOString();
    const msgs: WatchMessage[] = gone.map(([key, e]) => ({
      ...this.#deletedMessage(key, e.uid, e.path, listRv, now),
      ...(gap !== undefined ? { gap } : {}),
    }));
    for (const m of msgs) if (m.kind === "change") this.#d.metrics.events.inc({ type: this.id, op: m.op });
    // The key set in parts of ~64 KiB: a job per part keeps every Redis script short (issue 14).
    msgs.push(
      ...syncMessages({
        type: this.id,
        group: this.type.group,
        resource: this.type.resource,
        namespaced: this.type.namespaced,
        namespaces: this.#d.filter.includedNamespaces(),
        paths: this.#store.paths(),
        resourceVersion: listRv,
        observedAt: now,
        gap,
      }),
    );
    const seq = this.#d.enqueuer.push(msgs);
    this.#d.enqueuer.checkpoint(this.id, listRv);
    this.#rv = listRv;
    this.#partial = false;
    this.#skippedWhilePartial.clear();
    this.#d.metrics.objects.set({ type: this.id }, this.#store.size);
    this.#backoff.reset();
    this.#forbiddenLogged = false;
    this.#lastError = undefined;
    void this.#d.enqueuer.whenAcked(seq).then(() => {
      this.#synced = true;
      this.#lastSyncAt = new Date(this.#d.clock.now()).toISOString();
      this.#resolveFirst();
    });
  }

  async #watchOnce(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    this.#state = ReflectorStates.watching;
    const timeoutSeconds = Math.floor(this.#d.minWatchTimeoutSeconds * (1 + this.#d.random()));
    const events = this.#d.client.watch(
      this.type,
      {
        resourceVersion: this.#rv,
        timeoutSeconds,
        allowWatchBookmarks: true,
        ...(this.#d.labelSelector ? { labelSelector: this.#d.labelSelector } : {}),
      },
      signal,
      () => this.#opened(),
    );
    const openedAt = this.#d.clock.now();
    let received = 0;
    for await (const ev of events) {
      received++;
      const out: WatchMessage[] = [];
      switch (ev.type) {
        case WatchEventTypes.error:
          throw statusErrorFromEvent(ev.object, `watch ${this.id}`);
        case WatchEventTypes.bookmark:
          this.#d.metrics.events.inc({ type: this.id, op: "bookmark" });
          break;
        case WatchEventTypes.added:
          await this.#apply(ev.object, WatchOps.added, out);
          break;
        case WatchEventTypes.modified:
          await this.#apply(ev.object, WatchOps.modified, out);
          break;
        case WatchEventTypes.deleted:
          await this.#remove(ev.object, out);
          break;
      }
      const rv = ev.object.metadata?.resourceVersion;
      if (typeof rv === "string" && rv !== "") this.#rv = rv;
      if (out.length > 0) {
        this.#d.enqueuer.push(out);
        this.#d.metrics.objects.set({ type: this.id }, this.#store.size);
      }
      // Saved once Redis acked everything pushed so far, this event's messages included.
      this.#d.enqueuer.checkpoint(this.id, this.#rv);
      if (this.#d.enqueuer.full) throw new QueueFull();
    }
    if (!signal.aborted && received === 0 && this.#d.clock.now() - openedAt < 1000) {
      // As client-go: a watch the server ends at once with nothing in it is a failure, so we back off
      // instead of spinning.
      throw new TransportError(
        `watch ${this.id}: closed by the server within a second, no events`,
        "SHORT_WATCH",
      );
    }
  }

  /** A resumed reflector's watch was answered: it is as synced as after a list. */
  #opened(): void {
    if (!this.#partial || this.#synced) return;
    this.#synced = true;
    this.#lastSyncAt = new Date(this.#d.clock.now()).toISOString();
    this.#backoff.reset();
    this.#lastError = undefined;
    this.#resolveFirst();
  }

  /**
   * Canonicalize an added/modified/listed object and append a change message if its canonical content
   * differs from what we recorded. Returns the store key when the object is tracked.
   */
  async #apply(
    obj: KubeObject,
    op: WatchOp,
    out: WatchMessage[],
    gap?: WatchGap,
  ): Promise<string | undefined> {
    this.#d.metrics.events.inc({ type: this.id, op });
    const meta = obj.metadata ?? {};
    const name = meta.name ?? "";
    const namespace = meta.namespace ?? "";
    if (name === "") {
      this.#skip("no-name", "object without metadata.name");
      return undefined;
    }
    const key = KeyStore.keyOf(namespace, name);
    if (!this.#d.filter.wantsNamespace(namespace)) {
      this.#d.metrics.skipped.inc({ type: this.id, reason: "namespace-excluded" });
      return undefined;
    }
    let res;
    try {
      // core's async form works in every secret mode (encrypt included)
      res = await this.#d.canonicalizer.canonicalizeAsync(this.type, obj);
    } catch (err) {
      const e = new CanonicalizeError(`canonicalize failed for ${this.id} ${key}`, { cause: err });
      this.#d.metrics.errors.inc({ type: this.id, kind: "canonicalize" });
      this.#d.logger.error({ type: this.id, key, err: e }, "canonicalize failed: object skipped");
      // keep what we had, so the sync message does not delete its file over a bug
      return this.#store.has(key) ? key : undefined;
    }
    const rv = meta.resourceVersion ?? "";
    const now = new Date(this.#d.clock.now()).toISOString();
    if (res.skipped) {
      this.#d.metrics.skipped.inc({ type: this.id, reason: res.reason });
      const prev = this.#store.delete(key);
      // an object we recorded became one we skip: its file must go
      if (prev) out.push(this.#deletedMessage(key, prev.uid, prev.path, rv, now, meta.labels));
      else if (this.#partial && !this.#skippedWhilePartial.has(key)) {
        // resumed: it may have been recorded before the restart (once per object until the next list)
        this.#skippedWhilePartial.add(key);
        out.push(
          this.#deletedMessage(key, meta.uid ?? "", this.#store.defaultPathOf(key), rv, now, meta.labels),
        );
      }
      return undefined;
    }
    const uid = meta.uid ?? "";
    if (this.#store.unchanged(key, uid, res.contentHash, res.path, rv)) {
      this.#d.metrics.unchanged.inc({ type: this.id });
      return key;
    }
    this.#store.set(key, uid, res.contentHash, res.path, rv);
    const msg: ChangeMessage = {
      kind: "change",
      op,
      type: this.id,
      key: res.key,
      path: res.path,
      resourceVersion: rv,
      observedAt: now,
      ...(res.manager !== undefined ? { manager: res.manager } : {}),
      ...(res.changedAt !== undefined ? { changedAt: res.changedAt } : {}),
      ...(res.labels !== undefined ? { labels: res.labels } : {}),
      content: res.content,
      contentHash: res.contentHash,
      ...(gap !== undefined ? { gap } : {}),
    };
    out.push(msg);
    return key;
  }

  async #remove(obj: KubeObject, out: WatchMessage[]): Promise<void> {
    this.#d.metrics.events.inc({ type: this.id, op: WatchOps.deleted });
    const meta = obj.metadata ?? {};
    const key = KeyStore.keyOf(meta.namespace ?? "", meta.name ?? "");
    const now = new Date(this.#d.clock.now()).toISOString();
    const rv = meta.resourceVersion ?? "";
    const prev = this.#store.delete(key);
    if (prev) {
      out.push(this.#deletedMessage(key, prev.uid, prev.path, rv, now, meta.labels));
      return;
    }
    const path = this.#partial ? await this.#recordedPath(obj) : undefined;
    if (path === undefined) {
      // never recorded (skipped, excluded namespace): nothing to delete
      this.#d.metrics.skipped.inc({ type: this.id, reason: "delete-of-untracked" });
      return;
    }
    // Resumed: the object may have been recorded before the restart; the committer ignores a delete
    // of a file it does not have.
    out.push(this.#deletedMessage(key, meta.uid ?? "", path, rv, now, meta.labels));
  }

  /** Where `obj` would be recorded, or undefined when it would not be (filters, canonicalization). */
  async #recordedPath(obj: KubeObject): Promise<string | undefined> {
    const meta = obj.metadata ?? {};
    if ((meta.name ?? "") === "" || !this.#d.filter.wantsNamespace(meta.namespace ?? "")) return undefined;
    try {
      const res = await this.#d.canonicalizer.canonicalizeAsync(this.type, obj);
      return res.skipped ? undefined : res.path;
    } catch {
      return undefined;
    }
  }

  #deletedMessage(
    key: string,
    uid: string,
    path: string,
    rv: string,
    observedAt: string,
    labels?: Record<string, string>,
  ): ChangeMessage {
    const slash = key.indexOf("/");
    const rk: ResourceKey = {
      group: this.type.group,
      version: this.type.version,
      resource: this.type.resource,
      kind: this.type.kind,
      namespace: key.slice(0, slash),
      name: key.slice(slash + 1),
      ...(uid !== "" ? { uid } : {}),
    };
    return {
      kind: "change",
      op: WatchOps.deleted,
      type: this.id,
      key: rk,
      path,
      resourceVersion: rv,
      observedAt,
      ...(labels !== undefined ? { labels } : {}),
    };
  }

  #skip(reason: string, msg: string): void {
    this.#d.metrics.skipped.inc({ type: this.id, reason });
    this.#d.logger.warn({ type: this.id, reason }, msg);
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
