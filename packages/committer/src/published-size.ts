import type { PublishedChange } from "@shiplog/core";

/** Bytes of diffs one published commit carries at most, by default: its job stays a small Redis script. */
export const DEFAULT_PUBLISHED_DIFF_BYTES = 1024 * 1024;

/** The diff that stands in for one beyond a budget of `maxBytes`. */
export function diffOmitted(maxBytes: number): string {
  const size =
    maxBytes >= 1024 * 1024 && maxBytes % (1024 * 1024) === 0
      ? `${maxBytes / (1024 * 1024)} MiB`
      : maxBytes >= 1024 && maxBytes % 1024 === 0
        ? `${maxBytes / 1024} KiB`
        : `${maxBytes} bytes`;
  return `(diff omitted: this alert carries at most ${size} of diffs; see the commit)\n`;
}

/** The placeholder at the default budget. */
export const DIFF_OMITTED = diffOmitted(DEFAULT_PUBLISHED_DIFF_BYTES);

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
  let replaced = false;
  const omitted = diffOmitted(maxBytes);
  const out = changes.map((c) => {
    if (!over && c.diff.length <= left) {
      left -= c.diff.length;
      return c;
    }
    over = true;
    if (c.diff === omitted) return c;
    replaced = true;
    return { ...c, diff: omitted };
  });
  // Bounded already (the publisher bounds a commit again whatever its source): the same array.
  return replaced ? out : changes;
}
