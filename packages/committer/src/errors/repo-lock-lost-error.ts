/** Another instance took over the repo lock (ours expired). The current window is abandoned unacknowledged. */
export class RepoLockLostError extends Error {
  override readonly name = "RepoLockLostError";
  constructor(readonly lockKey: string) {
    super(`lost committer lock ${lockKey}; abandoning the current window without acknowledging it`);
  }
}
