/**
 * The one error type the CLI shows to users, and the one place that turns any error into an exit code
 * and a line (`reportOf`). `main.ts` prints `shiplog: <line>` and exits with the code; no stack trace.
 * Anything that is neither a `CliError` nor core's `ConfigError` is a bug and is shown the same way,
 * but with its class name, so that a user can still report it.
 */
import { CommanderError } from "commander";
import type { ConfigError } from "@shiplog/core";

export const ExitCodes = {
  /** Something went wrong while running (a component failed, a check did not pass). */
  failure: 1,
  /** Bad usage or bad configuration: the user must change the command line, the env or the file. */
  config: 2,
  /** A dependency (Redis, the apiserver, the repo, the remote) is unreachable or refuses us. */
  unavailable: 3,
  /** The kubeconfig's user lacks the rights shiplog needs. */
  forbidden: 4,
} as const;
export type ExitCode = (typeof ExitCodes)[keyof typeof ExitCodes];

export class CliError extends Error {
  override readonly name = "CliError";
  readonly exitCode: ExitCode;

  constructor(message: string, exitCode: ExitCode = ExitCodes.failure, options?: { cause?: unknown }) {
    super(message, options);
    this.exitCode = exitCode;
  }
}

/** The first line of an error's message, with the messages of its causes appended (`a: b: c`). */
export function oneLine(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 5; depth++) {
    const msg = cur instanceof Error ? cur.message : typeof cur === "string" ? cur : JSON.stringify(cur);
    const first = (msg.split("\n")[0] ?? "").trim();
    if (first !== "" && !parts.some((p) => p.includes(first))) parts.push(first);
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return parts.join(": ") || "unknown error";
}

/** How a command ended: its exit code and the line for stderr. */
export interface Report {
  readonly exitCode: number;
  /** `undefined` when commander already printed the message (or the help/version text). */
  readonly line: string | undefined;
}

/**
 * The one mapping from an error to an exit code and a line. Core's `ConfigError` anywhere in the cause
 * chain (from loading the config, or from a package's constructor during `shiplog run`) is bad
 * configuration: exit 2, naming the full key and, when known, where its value came from.
 */
export async function reportOf(err: unknown): Promise<Report> {
  if (err instanceof CommanderError) {
    return { exitCode: err.exitCode === 0 ? 0 : ExitCodes.config, line: undefined };
  }
  // Core is imported on this path only: commands that succeed do not pay for it (ADR 0042).
  const core = await import("@shiplog/core");
  const config = causeChain(err).find((e): e is ConfigError => e instanceof core.ConfigError);
  if (config !== undefined)
    return { exitCode: ExitCodes.config, line: `invalid config: ${firstLine(config)}` };
  if (err instanceof CliError) return { exitCode: err.exitCode, line: firstLine(err) };
  return {
    exitCode: ExitCodes.failure,
    line: `${err instanceof Error ? err.name : "error"}: ${oneLine(err)}`,
  };
}

function causeChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let cur = err; cur !== undefined && cur !== null && chain.length < 8;) {
    chain.push(cur);
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return chain;
}

function firstLine(err: Error): string {
  return err.message.split("\n")[0] ?? err.message;
}
