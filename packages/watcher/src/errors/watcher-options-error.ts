/** A watcher option has a bad value. `field` names the option, e.g. `pageSize`. */
export class WatcherOptionsError extends Error {
  override readonly name = "WatcherOptionsError";
  constructor(
    readonly field: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`watcher option ${field}: ${message}`, options);
  }
}
