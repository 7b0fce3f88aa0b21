/**
 * The remote branch still has commits we do not have after local commits were replayed onto it (it
 * moved again meanwhile). We never force-push: the push is retried with backoff, fetching again.
 */
export class RemoteDivergedError extends Error {
  override readonly name = "RemoteDivergedError";
  constructor(
    readonly remoteUrl: string,
    readonly branch: string,
    options: { cause?: unknown } = {},
  ) {
    super(
      `remote ${remoteUrl} branch ${branch} has commits local history lacks; will fetch and retry`,
      options,
    );
  }
}
