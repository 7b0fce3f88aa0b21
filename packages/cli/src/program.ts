/** The `shiplog` command tree. Built per invocation from injected I/O (see `cli-io.ts`). */
import { Command } from "commander";
import type { CliIo } from "./cli-io.js";
import { blameCommand } from "./commands/blame.js";
import { commitCommand } from "./commands/commit.js";
import { configCommand } from "./commands/config.js";
import { doctorCommand } from "./commands/doctor.js";
import { addGlobalOptions } from "./commands/global-options.js";
import { historyCommand } from "./commands/history.js";
import { logCommand } from "./commands/log.js";
import { notifyCommand } from "./commands/notify.js";
import { restoreCommand } from "./commands/restore.js";
import { runCommand } from "./commands/run.js";
import { snapshotCommand } from "./commands/snapshot.js";
import { versionCommand } from "./commands/version.js";
import { watchCommand } from "./commands/watch.js";
import { versionInfo } from "./version.js";

export function buildProgram(io: CliIo): Command {
  const output = {
    writeOut: (s: string) => void io.stdout.write(s),
    writeErr: (s: string) => void io.stderr.write(s),
    outputError: (s: string, write: (s: string) => void) =>
      write(s.startsWith("error: ") ? `shiplog: ${s.slice(7)}` : s),
  };
  const program = new Command("shiplog")
    .description("Records every change in a Kubernetes cluster as a Git commit.")
    .version(versionInfo().shiplog, "--version", "print the version")
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .configureOutput(output)
    .exitOverride();
  addGlobalOptions(program);
  const commands = [
    runCommand(io),
    watchCommand(io),
    commitCommand(io),
    notifyCommand(io),
    snapshotCommand(io),
    historyCommand(io),
    blameCommand(io),
    logCommand(io),
    restoreCommand(io),
    doctorCommand(io),
    configCommand(io),
    versionCommand(io),
  ];
  const configure = (c: Command): void => {
    c.exitOverride().configureOutput(output).configureHelp({ showGlobalOptions: true });
    c.commands.forEach(configure);
  };
  for (const c of commands) {
    configure(c);
    program.addCommand(c);
  }
  program.addHelpText(
    "after",
    "\nConfig: --config FILE, SHIPLOG_* env, flags (see docs/config.md or `shiplog config reference`).\nEvery command has --help.",
  );
  return program;
}
