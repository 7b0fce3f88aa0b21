// Polling for a condition in an e2e test: the one wait loop every file uses.
import { setTimeout as sleep } from "node:timers/promises";

export interface UntilOptions {
  /**
   * Pause between two checks.
   * @defaultValue 100
   */
  intervalMs?: number;
  /** Appended to the timeout message, e.g. what was seen instead. */
  detail?: () => string;
}

/**
 * Calls `check` until it returns something other than `undefined` or `false` and resolves with that;
 * rejects once `timeoutMs` have passed, naming `what` it waited for.
 */
export async function until<T>(
  what: string,
  timeoutMs: number,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  opts: UntilOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) {
      const detail = opts.detail ? `; ${opts.detail()}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await sleep(opts.intervalMs ?? 100);
  }
}
