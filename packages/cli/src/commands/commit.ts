import type { Command } from "commander";
import type { CliIo } from "../cli-io.js";
import { serveCommand } from "./run.js";

export function commitCommand(io: CliIo): Command {
  return serveCommand(io, "commit", { watcher: false, committer: true, notifier: false });
}
