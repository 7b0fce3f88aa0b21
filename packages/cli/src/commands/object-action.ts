/**
 * `history` and `restore` act on one recorded object (`<type/name>`). Their implementations are
 * imported when the command runs, not when the command tree is built (ADR 0042).
 */
import type { Command } from "commander";
import type { CliIo } from "../cli-io.js";

export type ObjectAction<F> = (io: CliIo, arg: string, flags: F, cmd: Command) => Promise<void>;

export function objectAction<F>(
  io: CliIo,
  load: () => Promise<ObjectAction<F>>,
): (arg: string, flags: F, cmd: Command) => Promise<void> {
  return async (arg, flags, cmd) => (await load())(io, arg, flags, cmd);
}
