/**
 * The branch is no longer where the committer expected it: someone else (`shiplog snapshot`, a `git`
 * commit, another writer) moved it between our read and our compare-and-swap. Nothing was changed; the
 * caller re-reads the branch and rebuilds its commits on the new head.
 */
export class RefMovedError extends Error {
  override readonly name = "RefMovedError";
  constructor(
    readonly refName: string,
    readonly expected: string | null,
    readonly actual: string | null,
    options: { cause?: unknown } = {},
  ) {
    super(`${refName} moved: expected ${expected ?? "(unborn)"}, found ${actual ?? "(unborn)"}`, options);
  }
}
