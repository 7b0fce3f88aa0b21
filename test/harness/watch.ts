// Waiting for watch events in tests: start a client-node Watch and resolve with the first event
// that matches, or reject with what was seen when the time is up.
import { Watch, type KubeConfig } from "@kubernetes/client-node";

export interface WatchEvent {
  type: string;
  object: {
    kind?: string;
    metadata?: { name?: string; namespace?: string; resourceVersion?: string; deletionTimestamp?: string };
    code?: number;
    reason?: string;
  } & Record<string, unknown>;
}

export class WatchTimeoutError extends Error {
  override readonly name = "WatchTimeoutError";
}

/**
 * Watches `path` (e.g. `/api/v1/namespaces/x/configmaps`) and resolves with the first event for
 * which `match` is true. Pass `resourceVersion` to see only changes after it (a deletion that
 * happens before the watch is connected is still delivered). ERROR events (e.g. 410 Gone) are
 * passed to `match` too.
 * @param timeoutMs - default 30000
 */
export async function waitForEvent(
  kc: KubeConfig,
  path: string,
  query: Record<string, string | number | boolean | undefined>,
  match: (ev: WatchEvent) => boolean,
  timeoutMs = 30_000,
): Promise<WatchEvent> {
  const seen: string[] = [];
  let abort: AbortController | undefined;
  let finished = false;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<WatchEvent>((resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new WatchTimeoutError(
              `no matching event on ${path} within ${timeoutMs}ms; saw: ${seen.join(", ") || "nothing"}`,
            ),
          ),
        timeoutMs,
      );
      new Watch(kc)
        .watch(
          path,
          { allowWatchBookmarks: true, ...query },
          (type: string, object: WatchEvent["object"]) => {
            const ev: WatchEvent = { type, object };
            seen.push(`${type} ${object.metadata?.name ?? object.reason ?? ""}`);
            if (match(ev)) resolve(ev);
          },
          (err: unknown) => {
            if (err)
              reject(err instanceof Error ? err : new Error(`watch on ${path} failed`, { cause: err }));
            else reject(new Error(`watch on ${path} ended before a matching event; saw: ${seen.join(", ")}`));
          },
        )
        .then((a) => {
          abort = a;
          if (finished) a.abort(); // matched or timed out before the watch call returned
        }, reject);
    });
  } finally {
    finished = true;
    clearTimeout(timer);
    abort?.abort();
  }
}
