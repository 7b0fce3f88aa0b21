// A small exec helper: runs a command to completion and reports its output and exit code. It never
// throws on a non-zero exit (callers decide what a failure means); it throws only when the command
// cannot be started at all or exceeds its timeout.
import { spawn } from "node:child_process";

export interface RunOptions {
  /** Written to the child's stdin, which is then closed. */
  input?: string;
  cwd?: string;
  /** Merged over the current environment. */
  env?: NodeJS.ProcessEnv;
  /**
   * Kill the command (SIGKILL) after this many milliseconds and reject.
   * @defaultValue 120000
   */
  timeoutMs?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

export class RunError extends Error {
  override readonly name = "RunError";
}

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  if (!(timeoutMs > 0)) throw new RangeError(`run: timeoutMs must be > 0, got ${timeoutMs}`);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new RunError(`${cmd} ${args.join(" ")}: timed out after ${timeoutMs}ms`));
    }, timeoutMs);
    child.on("error", (cause) => {
      clearTimeout(timer);
      reject(new RunError(`${cmd}: cannot start`, { cause }));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        code: code ?? (signal ? 128 + signalNumber(signal) : 1),
      });
    });
    child.stdin.on("error", () => {
      // EPIPE when the command exits without reading its input; the exit code tells the story.
    });
    child.stdin.end(opts.input ?? "");
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  const n: number | undefined = (
    {
      SIGHUP: 1,
      SIGINT: 2,
      SIGKILL: 9,
      SIGTERM: 15,
    } as Partial<Record<NodeJS.Signals, number>>
  )[signal];
  return n ?? 1;
}

/** Runs a command and throws (with its stderr) unless it exits 0. */
export async function runOk(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    throw new RunError(`${cmd} ${args.join(" ")} exited ${r.code}: ${r.stderr.trim().slice(-2000)}`);
  }
  return r;
}
