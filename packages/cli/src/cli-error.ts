/**
 * The one error type the CLI shows to users. `main.ts` prints `shiplog: <message>` on one line and exits
 * with `exitCode`; no stack trace. Anything else that reaches `main.ts` is a bug and is shown the same
 * way, but with its class name, so that a user can still report it.
 */
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
