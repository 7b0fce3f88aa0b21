#!/usr/bin/env node
/**
 * The `shiplog` executable: the only module that reads `process` (argv, env, signals, streams). Every
 * failure ends as ONE line on stderr (`shiplog: ...`) and a non-zero exit code (`reportOf` in
 * cli-error.ts); no stack trace unless SHIPLOG_DEBUG=1.
 */
import { homedir } from "node:os";
import { reportOf } from "./cli-error.js";
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
    const { exitCode, line } = await reportOf(err);
    if (line !== undefined) {
      process.stderr.write(`shiplog: ${line}\n`);
      if (process.env["SHIPLOG_DEBUG"] === "1" && err instanceof Error)
        process.stderr.write(`${err.stack ?? ""}\n`);
    }
    exit(exitCode);
  }
}

await main();
