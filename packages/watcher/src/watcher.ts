/**
 * The watcher: discovery, one reflector per wanted type, rediscovery on CRD/APIService changes and
 * periodically, and the enqueuer in front of BullMQ.
 */
import type { Clock, Logger, ResourceType, Timer, TypesMessage } from "@shiplog/core";
import { Backoff, QueueNames, silentLogger, systemClock, typeId } from "@shiplog/core";
import { Queue } from "bullmq";
import { Registry } from "prom-client";
import type { ApiClientLike } from "./api-client.js";
import { ApiClient } from "./api-client.js";
import type { DiscoveryResult } from "./discovery.js";
import { discover } from "./discovery.js";
import { Enqueuer } from "./enqueuer.js";
import { ApiStatusError } from "./errors/api-status-error.js";
import type { WatcherMetrics } from "./metrics.js";
import { createWatcherMetrics } from "./metrics.js";
import type { ResolvedOptions, WatcherOptions } from "./options.js";
import { resolveOptions } from "./options.js";
import type { ReflectorStatus } from "./reflector.js";
import { Reflector } from "./reflector.js";
import { RediscoveryTrigger } from "./rediscovery.js";
import { ResumeStore } from "./resume-store.js";
import { TypeFilter } from "./type-filter.js";
import { typesReport } from "./types-report.js";

/** What one successful discovery yields: the types to watch and the result as the committer needs it. */
interface Discovered {
  readonly types: ResourceType[];
  readonly result: DiscoveryResult;
  readonly observedAt: string;
}

export interface WatcherStatus {
  readonly types: ReflectorStatus[];
  /** Messages waiting for Redis. */
  readonly buffered: number;
  readonly queueFailing: boolean;
  readonly lastDiscoveryAt?: string;
  readonly failedGroupVersions: { groupVersion: string; reason: string }[];
}

export class Watcher {
  readonly #o: WatcherOptions;
  readonly #r: ResolvedOptions;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #metrics: WatcherMetrics;
  readonly #filter: TypeFilter;
  readonly #forbidden: ReadonlySet<string>;
  readonly #client: ApiClientLike;
  readonly #abort = new AbortController();
  readonly #reflectors = new Map<string, Reflector>();
  #enqueuer: Enqueuer | undefined;
  #resume: ResumeStore | undefined;
  /** Stored resourceVersions not yet handed to a reflector (only reflectors of the first discovery resume). */
  #resumeFrom = new Map<string, string>();
  #trigger: RediscoveryTrigger | undefined;
  #started: Promise<void> | undefined;
  #reconcileChain: Promise<void> = Promise.resolve();
  #debounce: Timer | undefined;
  #followUps = 0;
  #lastDiscoveryAt: string | undefined;
  #failedGroupVersions: { groupVersion: string; reason: string }[] = [];
  readonly #initialSync: Promise<void>;
  #resolveInitialSync!: (p: void | PromiseLike<void>) => void;

  constructor(opts: WatcherOptions) {
    this.#r = resolveOptions(opts);
    this.#o = opts;
    this.#logger = opts.logger ?? silentLogger;
    this.#clock = opts.clock ?? systemClock;
    this.#random = opts.random ?? Math.random;
    this.#metrics = opts.metrics ?? createWatcherMetrics(new Registry());
    this.#filter = new TypeFilter(opts.include, opts.exclude);
    this.#forbidden = new Set(opts.forbidden ?? []);
    this.#client =
      opts.apiClient ??
      new ApiClient(opts.kubeConfig, { inactivityTimeoutMs: this.#r.watchInactivityTimeoutMs });
    this.#initialSync = new Promise<void>((resolve) => {
      this.#resolveInitialSync = resolve;
    });
  }

  get metrics(): WatcherMetrics {
    return this.#metrics;
  }

  /**
   * Discover (retrying transient failures with backoff until it succeeds or `stop()`), then start a
   * reflector per wanted type and the rediscovery trigger. Resolves once the reflectors are started;
   * see `initialSyncDone()` for the first lists.
   */
  start(): Promise<void> {
    this.#started ??= this.#start();
    return this.#started;
  }

  async #start(): Promise<void> {
    const queue = new Queue(QueueNames.events, {
      connection: this.#o.queue.connection,
      prefix: this.#o.queue.prefix,
    });
    queue.on("error", (err) => {
      this.#metrics.errors.inc({ type: "", kind: "queue" });
      this.#logger.debug({ err }, "queue connection error");
    });
    if (this.#o.resume !== undefined) {
      this.#resume = new ResumeStore(this.#o.queue.connection, this.#o.queue.prefix, this.#o.resume.scope);
      try {
        if (this.#o.resume.ignoreStored !== true) this.#resumeFrom = await this.#resume.load();
        this.#logger.info({ types: this.#resumeFrom.size }, "loaded watch resume points");
      } catch (err) {
        // Without them every type lists, as on a first start: nothing is lost, only time.
        this.#metrics.errors.inc({ type: "", kind: "resume-load" });
        this.#logger.warn({ err }, "could not load watch resume points; listing every type");
      }
    }
    this.#enqueuer = new Enqueuer({
      queue,
      ...(this.#resume !== undefined ? { resume: this.#resume } : {}),
      maxBuffered: this.#r.maxBuffered,
      maxBufferedBytes: this.#r.maxBufferedBytes,
      batchSize: this.#r.batchSize,
      batchBytes: this.#r.batchBytes,
      jobOptions: this.#o.jobOptions ?? { removeOnComplete: true, removeOnFail: 1000 },
      logger: this.#logger,
      metrics: this.#metrics,
      clock: this.#clock,
    });
    this.#enqueuer.start();
    const signal = this.#abort.signal;
    const backoff = new Backoff({ random: this.#random });
    let found: Discovered | undefined;
    while (!signal.aborted && found === undefined) {
      try {
        found = await this.#discover();
      } catch (err) {
        if (signal.aborted) break;
        const cause = err instanceof Error && err.cause instanceof ApiStatusError ? err.cause : undefined;
        if (cause && (cause.code === 401 || cause.code === 403)) throw err;
        this.#logger.warn({ err }, "discovery failed; retrying");
        await this.#clock.sleep(backoff.next(this.#clock.now()), signal);
      }
    }
    if (found === undefined) {
      this.#resolveInitialSync(Promise.resolve());
      return;
    }
    await this.#reconcile(found.types);
    // A type the stored points name that is not watched now lists if it comes back.
    this.#resumeFrom.clear();
    this.#reportTypes(found, []);
    this.#resolveInitialSync(
      Promise.all([...this.#reflectors.values()].map((r) => r.firstSync)).then(() => undefined),
    );
    this.#trigger = new RediscoveryTrigger({
      client: this.#client,
      logger: this.#logger,
      clock: this.#clock,
      random: this.#random,
      intervalMs: this.#r.rediscoverIntervalMs,
      onTrigger: (reason) => this.#scheduleRediscovery(reason, 100),
    });
    this.#trigger.start();
  }

  /** Resolves when every type watched at start completed its first list and Redis accepted its sync message (types forbidden on the first attempt count as done). */
  initialSyncDone(): Promise<void> {
    return this.#initialSync;
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    this.#debounce?.cancel();
    await this.#started?.catch(() => undefined);
    await this.#trigger?.stop();
    await this.#reconcileChain;
    await Promise.all([...this.#reflectors.values()].map((r) => r.stop()));
    this.#reflectors.clear();
    await this.#enqueuer?.close(this.#r.stopFlushTimeoutMs);
    await this.#resume?.close();
  }

  status(): WatcherStatus {
    return {
      types: [...this.#reflectors.values()]
        .map((r) => r.status())
        .sort((a, b) => a.type.localeCompare(b.type)),
      buffered: this.#enqueuer?.buffered ?? 0,
      queueFailing: this.#enqueuer?.failing ?? false,
      ...(this.#lastDiscoveryAt !== undefined ? { lastDiscoveryAt: this.#lastDiscoveryAt } : {}),
      failedGroupVersions: this.#failedGroupVersions,
    };
  }

  async #discover(): Promise<Discovered> {
    const res = await discover(this.#client, this.#abort.signal);
    const observedAt = new Date(this.#clock.now()).toISOString();
    this.#lastDiscoveryAt = observedAt;
    if (res.failedGroupVersions.length > 0) {
      this.#logger.warn({ failed: res.failedGroupVersions }, "some group versions could not be discovered");
    }
    this.#failedGroupVersions = res.failedGroupVersions;
    return { types: res.types.filter((t) => this.#watches(t)), result: res, observedAt };
  }

  #watches(t: ResourceType): boolean {
    return this.#filter.wantsType(t) && !this.#forbidden.has(typeId(t));
  }

  /**
   * After the reflectors follow a discovery: tell the committer which types are recorded, so that
   * files of types that were removed or excluded leave the repository. Queued after everything the
   * stopped reflectors pushed.
   */
  #reportTypes(found: Discovered, undiscovered: readonly string[]): void {
    if (this.#abort.signal.aborted || !this.#enqueuer) return;
    const msg: TypesMessage | undefined = typesReport(
      found.result,
      (t) => this.#watches(t),
      this.#forbidden,
      found.observedAt,
      undiscovered,
    );
    if (msg === undefined) {
      this.#logger.warn({}, "discovery found no types: not reconciling recorded types");
      return;
    }
    this.#logger.debug(
      { recorded: msg.recorded.length, excluded: msg.excluded.length, unavailable: msg.unavailableGroups },
      "reporting recorded types",
    );
    this.#enqueuer.push([msg]);
  }

  #scheduleRediscovery(reason: string, delayMs: number): void {
    if (this.#abort.signal.aborted) return;
    this.#debounce?.cancel();
    this.#debounce = this.#clock.setTimeout(() => {
      this.#reconcileChain = this.#reconcileChain.then(() => this.#rediscover(reason));
    }, delayMs);
  }

  async #rediscover(reason: string): Promise<void> {
    if (this.#abort.signal.aborted) return;
    let found: Discovered;
    try {
      found = await this.#discover();
    } catch (err) {
      if (this.#abort.signal.aborted) return;
      this.#logger.warn({ err, reason }, "rediscovery failed; keeping the current types");
      this.#scheduleRediscovery("retry after failure", 5000);
      return;
    }
    const types = found.types;
    this.#logger.debug({ reason, types: types.length }, "rediscovered");
    await this.#apply(types);
    // A CRD can be Established a moment before discovery serves it: look again shortly.
    const discovered = new Set(found.result.types.map((t) => typeId(t)));
    const established = [...(this.#trigger?.established.values() ?? [])].filter((id) => !discovered.has(id));
    this.#reportTypes(found, established);
    const missing = established.filter((id) => this.#filterWantsId(id));
    if (missing.length > 0 && this.#followUps < 20) {
      this.#followUps++;
      this.#scheduleRediscovery(`waiting for ${missing.join(",")} in discovery`, 250);
    } else {
      this.#followUps = 0;
    }
  }

  #filterWantsId(id: string): boolean {
    const dot = id.indexOf(".");
    const group = dot < 0 ? "" : id.slice(dot + 1);
    const resource = dot < 0 ? id : id.slice(0, dot);
    return this.#filter.wantsType({ group, resource, namespaced: true });
  }

  #reconcile(types: ResourceType[]): Promise<void> {
    this.#reconcileChain = this.#reconcileChain.then(() => this.#apply(types));
    return this.#reconcileChain;
  }

  /** Start reflectors for new types, stop those whose type vanished or whose preferred version changed. */
  async #apply(types: ResourceType[]): Promise<void> {
    if (this.#abort.signal.aborted || !this.#enqueuer) return;
    const wanted = new Map(types.map((t) => [typeId(t), t]));
    const stops: Promise<void>[] = [];
    for (const [id, r] of this.#reflectors) {
      const t = wanted.get(id);
      if (!t || t.version !== r.type.version || t.namespaced !== r.type.namespaced) {
        this.#logger.info(
          { type: id, version: r.type.version, now: t?.version ?? "gone" },
          "type no longer served as watched: stopping its reflector",
        );
        this.#reflectors.delete(id);
        stops.push(r.stop());
      }
    }
    await Promise.all(stops);
    if (this.#abort.signal.aborted) return;
    for (const [id, t] of wanted) {
      if (this.#reflectors.has(id)) continue;
      const from = this.#resumeFrom.get(id);
      const r = new Reflector(t, {
        client: this.#client,
        canonicalizer: this.#o.canonicalizer,
        enqueuer: this.#enqueuer,
        filter: this.#filter,
        logger: this.#logger,
        metrics: this.#metrics,
        clock: this.#clock,
        random: this.#random,
        pageSize: this.#r.pageSize,
        streamingList: this.#r.streamingLists,
        minWatchTimeoutSeconds: this.#r.minWatchTimeoutSeconds,
        ...(this.#o.labelSelector ? { labelSelector: this.#o.labelSelector } : {}),
        ...(from !== undefined ? { resumeFrom: from } : {}),
      });
      this.#resumeFrom.delete(id);
      this.#reflectors.set(id, r);
      this.#logger.info({ type: id, version: t.version }, "watching type");
      r.start();
    }
  }
}
