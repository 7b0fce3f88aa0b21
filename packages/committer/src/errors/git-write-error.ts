/** Writing an object or updating a ref in the local repository failed. The window is not acknowledged. */
export class GitWriteError extends Error {
  override readonly name = "GitWriteError";
  constructor(
    readonly operation: string,
    options: { cause: unknown },
  ) {
    super(`git ${operation} failed: ${messageOf(options.cause)}`, options);
  }
}

function messageOf(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
