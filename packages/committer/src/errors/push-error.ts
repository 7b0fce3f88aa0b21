/** A push failed for a reason that may go away (network, auth, remote down). It is retried with backoff. */
export class PushError extends Error {
  override readonly name = "PushError";
  constructor(
    readonly remoteUrl: string,
    options: { cause: unknown },
  ) {
    super(
      `push to ${remoteUrl} failed: ${options.cause instanceof Error ? options.cause.message : String(options.cause)}`,
      options,
    );
  }
}
