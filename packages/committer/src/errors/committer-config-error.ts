/** A committer option has a bad value. `field` names the option, e.g. `remote.pushIntervalMs`. */
export class CommitterConfigError extends Error {
  override readonly name = "CommitterConfigError";
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`committer option ${field}: ${problem}`);
  }
}
