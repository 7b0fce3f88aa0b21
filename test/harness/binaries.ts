// Locates the real binaries built from the Go module proxy by scripts/build-tools.sh, building the
// missing ones on first use (serialised by a lock file, so two test processes never build the same
// tool at once).
import { accessSync, constants, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { run } from "./run.js";

export const TOOLS = [
  "etcd",
  "kube-apiserver",
  "kubectl",
  "kube-controller-manager",
  "sops",
  "age",
  "age-keygen",
  "helm",
] as const;
export type Tool = (typeof TOOLS)[number];

/** The repository root (test/dist/harness/binaries.js -> ../../..). */
export function repoRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
}

/** `$SHIPLOG_CACHE_DIR`, else `$XDG_CACHE_HOME/shiplog`, else `~/.cache/shiplog` (as scripts/env.sh). */
export function cacheDir(): string {
  const env = process.env;
  return env["SHIPLOG_CACHE_DIR"] || join(env["XDG_CACHE_HOME"] || join(homedir(), ".cache"), "shiplog");
}

export class MissingBinaryError extends Error {
  override readonly name = "MissingBinaryError";
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch (err) {
    if (err instanceof Error && "code" in err && (err.code === "ENOENT" || err.code === "EACCES"))
      return false;
    throw err;
  }
}

const pending = new Map<Tool, Promise<string>>();

/** Path of one tool, building it with scripts/build-tools.sh if it is not in the cache yet. */
export function binary(tool: Tool): Promise<string> {
  let p = pending.get(tool);
  if (!p) {
    p = locate(tool);
    pending.set(tool, p);
    p.catch(() => pending.delete(tool)); // let a later call retry; the caller sees the rejection
  }
  return p;
}

async function locate(tool: Tool): Promise<string> {
  const path = join(cacheDir(), "bin", tool);
  if (executable(path)) return path;
  // scripts/build-tools.sh may already be building it (bootstrap, another helper): wait for that
  // build instead of starting a second one of the same tool.
  while (buildInProgress(tool)) {
    await sleep(2000);
  }
  if (executable(path)) return path;
  const script = join(repoRoot(), "scripts", "build-tools.sh");
  mkdirSync(cacheDir(), { recursive: true });
  // flock serialises builds started by the harness; scripts/build-tools.sh itself is idempotent.
  const r = await run("flock", [join(cacheDir(), `build-${tool}.lock`), script, tool], {
    timeoutMs: 60 * 60_000,
  });
  if (r.code !== 0 || !executable(path)) {
    throw new MissingBinaryError(
      `${tool} is not in ${join(cacheDir(), "bin")} and building it failed (exit ${r.code}). ` +
        `Run scripts/build-tools.sh ${tool} to see why (it needs Go >= 1.22).\n${r.stderr.trim().slice(-1500)}`,
    );
  }
  return path;
}

/** True while some process runs `go build ... -o <cache>/bin/<tool>-<version>.tmp`. */
function buildInProgress(tool: Tool): boolean {
  const marker = join(cacheDir(), "bin", `${tool}-`);
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
    } catch (err) {
      if (err instanceof Error && "code" in err && (err.code === "ENOENT" || err.code === "ESRCH")) continue;
      throw err;
    }
    const out = argv[argv.indexOf("-o") + 1];
    if (argv.includes("build") && out?.startsWith(marker) && out.endsWith(".tmp")) return true;
  }
  return false;
}

/** Paths of all the real binaries the tests use, built on first use. */
export async function binaries(): Promise<Record<Tool, string>> {
  // One at a time: the Kubernetes tools share one Go build cache and the machine has few cores.
  const out: Partial<Record<Tool, string>> = {};
  for (const t of TOOLS) out[t] = await binary(t);
  return out as Record<Tool, string>;
}
