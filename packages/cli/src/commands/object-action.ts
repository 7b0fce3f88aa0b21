/**
 * `history` and `restore` act on one recorded object (`<type/name>`). Their implementations are
 * imported when the command runs, not when the command tree is built (ADR 0042).
 */
import type { Command } from "commander";
import type { CliIo } from "../cli-io.js";

/** `A` is `string | undefined` for a command whose `[type/name]` is optional (`restore -n <ns>`). */
export type ObjectAction<F, A extends string | undefined = string> = (
  io: CliIo,
  arg: A,
  flags: F,
  cmd: Command,
) => Promise<void>;

export function objectAction<F, A extends string | undefined = string>(
  io: CliIo,
  load: () => Promise<ObjectAction<F, A>>,
): (arg: A, flags: F, cmd: Command) => Promise<void> {
  return async (arg, flags, cmd) => (await load())(io, arg, flags, cmd);
}
