import type { Command } from "commander";
import type { CliIo } from "../cli-io.js";
import { serveCommand } from "./run.js";

export function watchCommand(io: CliIo): Command {
  return serveCommand(io, "watch", { watcher: true, committer: false, notifier: false });
}
