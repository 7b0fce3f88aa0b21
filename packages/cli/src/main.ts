#!/usr/bin/env node
/**
 * The `shiplog` executable: the only module that reads `process` (argv, env, signals, streams). Every
 * failure ends as ONE line on stderr (`shiplog: ...`) and a non-zero exit code; no stack trace unless
 * SHIPLOG_DEBUG=1.
 */
import { homedir } from "node:os";
import { CommanderError } from "commander";
import { CliError, ExitCodes, oneLine } from "./cli-error.js";
import type { CliIo, SignalName } from "./cli-io.js";
import { buildProgram } from "./program.js";

const io: CliIo = {
  env: process.env,
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
  homeDir: homedir(),
  onSignal(signal: SignalName, handler: () => void) {
    process.on(signal, handler);
    return () => void process.off(signal, handler);
  },
};

function exit(code: number): void {
  // Let piped stdout/stderr drain before leaving (process.exit would cut them short).
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

async function main(): Promise<void> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(process.argv);
    exit(typeof process.exitCode === "number" ? process.exitCode : 0);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed its message (or the help/version text).
      exit(err.exitCode === 0 ? 0 : ExitCodes.config);
      return;
    }
    const line =
      err instanceof CliError
        ? (err.message.split("\n")[0] ?? err.message)
        : `${err instanceof Error ? err.name : "error"}: ${oneLine(err)}`;
    process.stderr.write(`shiplog: ${line}\n`);
    if (process.env["SHIPLOG_DEBUG"] === "1" && err instanceof Error)
      process.stderr.write(`${err.stack ?? ""}\n`);
    exit(err instanceof CliError ? err.exitCode : ExitCodes.failure);
  }
}

await main();
