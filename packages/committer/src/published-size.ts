import type { PublishedChange } from "@shiplog/core";

/** Bytes of diffs one published commit carries at most, by default: its job stays a small Redis script. */
export const DEFAULT_PUBLISHED_DIFF_BYTES = 1024 * 1024;

/** The diff that stands in for one beyond the budget. */
export const DIFF_OMITTED = "(diff omitted: this alert carries at most 1 MiB of diffs; see the commit)\n";

/**
 * The changes of a published commit with their diffs kept, in order, while their total stays within
 * `maxBytes`; later diffs are replaced by `DIFF_OMITTED`. Every change stays (the notifier routes by
 * each change's labels and namespace), so a window of 50,000 changes is ~50,000 short entries, not
 * 50,000 diffs: the notifier's queue holds a bounded job per commit, and chat shows a handful anyway.
 */
export function limitDiffs(
  changes: readonly PublishedChange[],
  maxBytes: number = DEFAULT_PUBLISHED_DIFF_BYTES,
): readonly PublishedChange[] {
  let left = maxBytes;
  let over = false;
  const out = changes.map((c) => {
    if (!over && c.diff.length <= left) {
      left -= c.diff.length;
      return c;
    }
    over = true;
    return { ...c, diff: DIFF_OMITTED };
  });
  return over ? out : changes;
}
