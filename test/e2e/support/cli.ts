// The `shiplog` command in e2e tests: the built CLI spawned with a private environment (temp repo, temp
// state dir for the fingerprint key, unique Redis prefix), one-line errors, and long-running commands
// (`run`, `watch`, ...) waited for until /readyz answers.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { freePort, run, uniquePrefix, type RunResult } from "../../harness/index.js";

// test/dist/e2e/support/cli.js -> packages/cli/dist/main.js
export const CLI = fileURLToPath(new URL("../../../../packages/cli/dist/main.js", import.meta.url));

/** SHIPLOG_* variables of the toolchain (scripts/env.sh), not of shiplog's config: children keep them. */
export const TOOLCHAIN_VARS: readonly string[] = [
  "SHIPLOG_ROOT",
  "SHIPLOG_CACHE_DIR",
  "SHIPLOG_NODE_VERSION",
];

/** True for a variable of the parent that would leak into the CLI's config. */
export function isConfigVar(name: string): boolean {
  return name.startsWith("SHIPLOG_") && !TOOLCHAIN_VARS.includes(name);
}

/** The parent's environment without anything that would leak into the CLI's config. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (isConfigVar(k) || k === "KUBECONFIG" || k === "SOPS_AGE_KEY_FILE") continue;
    env[k] = v;
  }
  return env;
}

export interface Sandbox {
  dir: string;
  repo: string;
  prefix: string;
  env: NodeJS.ProcessEnv;
}

/** A private working directory, repo path, key state dir and Redis prefix. */
export function sandbox(label: string, redisUrl: string, kubeconfig: string): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), `shiplog-cli-${label}-`));
  const prefix = uniquePrefix(`cli-${label}`);
  const repo = join(dir, "repo");
  return {
    dir,
    repo,
    prefix,
    env: {
      ...cleanEnv(),
      XDG_STATE_HOME: join(dir, "state"),
      SHIPLOG_REDIS_URL: redisUrl,
      SHIPLOG_REDIS_PREFIX: prefix,
      SHIPLOG_REPO_PATH: repo,
      SHIPLOG_KUBECONFIG: kubeconfig,
      SHIPLOG_CLUSTER_NAME: "e2e",
      SHIPLOG_LOG_LEVEL: "info",
    },
  };
}

export function shiplog(
  sb: Pick<Sandbox, "env" | "dir">,
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
  timeoutMs = 120_000,
): Promise<RunResult> {
  return run(process.execPath, [CLI, ...args], { env: { ...sb.env, ...extraEnv }, cwd: sb.dir, timeoutMs });
}

/** Asserts the CLI's stderr is exactly one `shiplog: ...` line (no stack trace). */
export function oneLineError(r: RunResult): string {
  const lines = r.stderr.split("\n").filter((l) => l.trim() !== "");
  if (lines.length !== 1 || !lines[0]?.startsWith("shiplog: ") || /\n\s+at /.test(r.stderr)) {
    throw new Error(`expected one "shiplog: ..." line on stderr, got (exit ${r.code}):\n${r.stderr}`);
  }
  return lines[0];
}

export interface Running {
  child: ChildProcess;
  ops: string;
  logs: () => string;
  /** SIGTERM, then resolves with the exit code (rejects after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number | null>;
}

/** How `startServing` starts shiplog: the built CLI under this Node by default. */
export interface Launcher {
  readonly command: string;
  /** Put before shiplog's own arguments. */
  readonly args: readonly string[];
}

/** Starts a long-running command (`run`, `watch`, ...) and waits until /readyz answers 200. */
export async function startServing(
  sb: Sandbox,
  args: string[],
  readyTimeoutMs = 90_000,
  launcher: Launcher = { command: process.execPath, args: [CLI] },
): Promise<Running> {
  const port = await freePort();
  const ops = `http://127.0.0.1:${port}`;
  const child = spawn(launcher.command, [...launcher.args, ...args, "--listen", `127.0.0.1:${port}`], {
    env: sb.env,
    cwd: sb.dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (b: Buffer) => (out += b.toString("utf8")));
  child.stderr?.on("data", (b: Buffer) => (out += b.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const running: Running = {
    child,
    ops,
    logs: () => out,
    async stop(timeoutMs = 40_000) {
      if (child.exitCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      // Unref'd: a stopped shiplog must not keep the test process alive for the rest of the timeout.
      const timer = sleep(timeoutMs, undefined, { ref: false }).then(() => "timeout" as const);
      const r = await Promise.race([exited, timer]);
      if (r === "timeout") {
        child.kill("SIGKILL");
        throw new Error(
          `shiplog did not exit within ${timeoutMs}ms of SIGTERM. Output:\n${out.slice(-3000)}`,
        );
      }
      return r;
    },
  };
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`shiplog ${args.join(" ")} exited ${child.exitCode}:\n${out.slice(-3000)}`);
    try {
      const res = await fetch(`${ops}/readyz`);
      if (res.status === 200) return running;
    } catch (err) {
      if (!(err instanceof TypeError)) throw err; // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`shiplog not ready within ${readyTimeoutMs}ms. Output:\n${out.slice(-3000)}`);
    }
    await sleep(200);
  }
}
