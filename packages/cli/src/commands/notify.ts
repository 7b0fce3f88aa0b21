import type { Command } from "commander";
import type { CliIo } from "../cli-io.js";
import { serveCommand } from "./run.js";

export function notifyCommand(io: CliIo): Command {
  return serveCommand(io, "notify", { watcher: false, committer: false, notifier: true });
}
