/**
 * The remote branch has commits we do not have (someone else pushed, or history was rewritten). We
 * never force-push: pushing stops until an operator reconciles the remote; local history is kept.
 */
export class RemoteDivergedError extends Error {
  override readonly name = "RemoteDivergedError";
  constructor(
    readonly remoteUrl: string,
    readonly branch: string,
    options: { cause?: unknown } = {},
  ) {
    super(`remote ${remoteUrl} branch ${branch} has diverged from local history; pushing stopped`, options);
  }
}
