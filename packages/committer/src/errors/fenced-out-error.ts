/**
 * A newer committer term claimed the repository's fence: this instance lost its lease (it was paused,
 * partitioned, or its renewals failed) and may not move the branch any more. Nothing was written; the
 * caller steps down and waits for the lease like any standby.
 */
export class FencedOutError extends Error {
  override readonly name = "FencedOutError";
  constructor(
    readonly refName: string,
    readonly token: number,
    readonly current: number | undefined,
  ) {
    super(
      `${refName} is fenced to a newer committer term (${current === undefined ? "a newer one" : String(current)}); this term's token is ${token}`,
    );
  }
}
