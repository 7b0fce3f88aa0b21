/**
 * Tells the watcher when to rediscover: on any change to CustomResourceDefinitions or APIServices
 * (watched here with a minimal list+watch, content ignored), and periodically. CRDs that are
 * Established but not yet in discovery are reported so the watcher can retry quickly until they are.
 */
import type { Clock, KubeObject, Logger, ResourceType } from "@shiplog/core";
import { Backoff, isRecord } from "@shiplog/core";
import type { ApiClientLike } from "./api-client.js";
import { statusErrorFromEvent, WatchEventTypes } from "./api-client.js";
import { ApiStatusError } from "./errors/api-status-error.js";

export const CRD_TYPE: ResourceType = {
  group: "apiextensions.k8s.io",
  version: "v1",
  resource: "customresourcedefinitions",
  kind: "CustomResourceDefinition",
  namespaced: false,
};

export const APISERVICE_TYPE: ResourceType = {
  group: "apiregistration.k8s.io",
  version: "v1",
  resource: "apiservices",
  kind: "APIService",
  namespaced: false,
};

export interface RediscoveryTriggerOptions {
  readonly client: Pick<ApiClientLike, "list" | "watch">;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: () => number;
  readonly intervalMs: number;
  /** Called (debounced by the caller) when something changed; `reason` is for logs. */
  readonly onTrigger: (reason: string) => void;
}

/** `plural.group` of each Established CRD, as `typeId` spells it. */
export function establishedCrdTypeId(obj: KubeObject): string | undefined {
  const spec = isRecord(obj["spec"]) ? obj["spec"] : undefined;
  const status = isRecord(obj["status"]) ? obj["status"] : undefined;
  const names = spec && isRecord(spec["names"]) ? spec["names"] : undefined;
  const group = spec?.["group"];
  const plural = names?.["plural"];
  if (typeof group !== "string" || typeof plural !== "string") return undefined;
  const conditions = status && Array.isArray(status["conditions"]) ? (status["conditions"] as unknown[]) : [];
  const established = conditions.some(
    (c) => isRecord(c) && c["type"] === "Established" && c["status"] === "True",
  );
  return established ? `${plural}.${group}` : undefined;
}

export class RediscoveryTrigger {
  readonly #o: RediscoveryTriggerOptions;
  readonly #abort = new AbortController();
  #loops: Promise<void>[] = [];
  /** Established CRDs by object name -> type id. */
  readonly established = new Map<string, string>();

  constructor(o: RediscoveryTriggerOptions) {
    this.#o = o;
  }

  start(): void {
    if (this.#loops.length > 0 || this.#abort.signal.aborted) return;
    this.#loops = [this.#watchLoop(CRD_TYPE), this.#watchLoop(APISERVICE_TYPE), this.#periodic()];
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await Promise.all(this.#loops);
  }

  async #periodic(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      await this.#o.clock.sleep(this.#o.intervalMs, signal);
      if (!signal.aborted) this.#o.onTrigger("periodic");
    }
  }

  async #watchLoop(t: ResourceType): Promise<void> {
    const signal = this.#abort.signal;
    const backoff = new Backoff({ random: this.#o.random });
    let rv = "";
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (rv === "") {
          let cont: string | undefined;
          do {
            const page = await this.#o.client.list(
              t,
              { limit: 500, ...(cont ? { continueToken: cont } : {}) },
              signal,
            );
            for (const obj of page.items) this.#note(t, obj, false);
            rv = page.resourceVersion;
            cont = page.continueToken;
          } while (cont !== undefined && !signal.aborted);
        }
        const timeoutSeconds = Math.floor(300 * (1 + this.#o.random()));
        for await (const ev of this.#o.client.watch(t, { resourceVersion: rv, timeoutSeconds }, signal)) {
          if (ev.type === WatchEventTypes.error) throw statusErrorFromEvent(ev.object, `watch ${t.resource}`);
          const evRv = ev.object.metadata?.resourceVersion;
          if (typeof evRv === "string" && evRv !== "") rv = evRv;
          if (ev.type === WatchEventTypes.bookmark) continue;
          failures = 0;
          this.#note(t, ev.object, ev.type === WatchEventTypes.deleted);
          this.#o.onTrigger(`${t.resource} ${ev.type.toLowerCase()} ${ev.object.metadata?.name ?? ""}`);
        }
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof ApiStatusError && err.expired) {
          rv = "";
          this.#o.onTrigger(`${t.resource} relist`);
          continue;
        }
        const level = failures++ === 0 ? "warn" : "debug";
        this.#o.logger[level](
          { type: t.resource, err },
          "rediscovery watch failed; periodic rediscovery still runs",
        );
        await this.#o.clock.sleep(
          backoff.next(this.#o.clock.now(), err instanceof ApiStatusError ? err.retryAfterMs : undefined),
          signal,
        );
      }
    }
  }

  #note(t: ResourceType, obj: KubeObject, deleted: boolean): void {
    if (t !== CRD_TYPE) return;
    const name = obj.metadata?.name ?? "";
    const id = deleted ? undefined : establishedCrdTypeId(obj);
    if (id === undefined) this.established.delete(name);
    else this.established.set(name, id);
  }
}
