/**
 * The committer needs nodegit, a native module. Commands that do not write Git (version, config,
 * history, restore, doctor) must work without it, so modules that reach nodegit are imported only
 * by the commands that need them, with a one-line error if the addon is missing.
 */
import { CliError, ExitCodes, oneLine } from "../cli-error.js";

export async function loadNative<T>(what: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const msg = oneLine(err);
    const hint = /nodegit/i.test(msg)
      ? " (the nodegit native module is not built: run scripts/bootstrap.sh)"
      : "";
    throw new CliError(`cannot load ${what}${hint}: ${msg}`, ExitCodes.failure, { cause: err });
  }
}
