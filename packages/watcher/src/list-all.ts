/**
 * One-shot list of every wanted type (for `shiplog snapshot`): discovery, then a paginated list per
 * type, handing each page to the caller. Forbidden or failing types are reported, not thrown.
 */
import type { KubeObject, ResourceType } from "@shiplog/core";
import { Defaults, optionChecks, typeId } from "@shiplog/core";
import { ApiClient } from "./api-client.js";
import { discover } from "./discovery.js";
import { ApiStatusError } from "./errors/api-status-error.js";
import type { Selection } from "./type-filter.js";
import { TypeFilter } from "./type-filter.js";
import type { KubeAccess } from "./kube-access.js";

export interface ListAllOptions {
  kubeConfig: KubeAccess;
  include?: Selection;
  exclude?: Selection;
  labelSelector?: string;
  /** Objects per list page. @defaultValue `Defaults.pageSize` (500) */
  pageSize?: number;
  signal?: AbortSignal;
  /** Called after every page and when a type is done. */
  onProgress?: (p: ListAllProgress) => void;
}

export interface ListAllProgress {
  readonly type: string;
  readonly typesDone: number;
  readonly typesTotal: number;
  readonly objects: number;
}

export interface ListAllSummary {
  readonly types: { type: string; objects: number; resourceVersion: string }[];
  readonly failed: { type: string; code?: number; reason: string }[];
  readonly failedGroupVersions: { groupVersion: string; reason: string }[];
}

/** `onPage` gets the objects of one page of one type (objects outside the namespace selection removed). */
export async function listAll(
  opts: ListAllOptions,
  onPage: (type: ResourceType, objects: KubeObject[]) => void | Promise<void>,
): Promise<ListAllSummary> {
  const pageSize = optionChecks("listAll").int("pageSize", opts.pageSize, Defaults.pageSize, 1);
  const signal = opts.signal ?? new AbortController().signal;
  const client = new ApiClient(opts.kubeConfig);
  const filter = new TypeFilter(opts.include, opts.exclude);
  const d = await discover(client, signal);
  const types = d.types.filter((t) => filter.wantsType(t));
  const done: ListAllSummary["types"] = [];
  const failed: ListAllSummary["failed"] = [];
  let objects = 0;
  for (const t of types) {
    const id = typeId(t);
    try {
      let cont: string | undefined;
      let count = 0;
      let rv = "";
      do {
        const page = await client.list(
          t,
          {
            limit: pageSize,
            ...(cont !== undefined ? { continueToken: cont } : {}),
            ...(opts.labelSelector ? { labelSelector: opts.labelSelector } : {}),
          },
          signal,
        );
        const items = page.items.filter((o) => filter.wantsNamespace(o.metadata?.namespace ?? ""));
        await onPage(t, items);
        count += items.length;
        objects += items.length;
        rv = page.resourceVersion;
        cont = page.continueToken;
        opts.onProgress?.({ type: id, typesDone: done.length, typesTotal: types.length, objects });
      } while (cont !== undefined);
      done.push({ type: id, objects: count, resourceVersion: rv });
    } catch (err) {
      if (signal.aborted) throw err;
      failed.push({
        type: id,
        ...(err instanceof ApiStatusError ? { code: err.code } : {}),
        reason: err instanceof Error ? err.message : String(err),
      });
    }
    opts.onProgress?.({
      type: id,
      typesDone: done.length + failed.length,
      typesTotal: types.length,
      objects,
    });
  }
  return { types: done, failed, failedGroupVersions: d.failedGroupVersions };
}
