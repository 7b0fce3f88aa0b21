/** A git CLI invocation failed. `stderr`'s first line is in the message. */
export class GitError extends Error {
  override readonly name = "GitError";
  readonly args: readonly string[];
  readonly exitCode: number | undefined;

  constructor(
    message: string,
    args: readonly string[],
    exitCode: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.args = args;
    this.exitCode = exitCode;
  }
}
