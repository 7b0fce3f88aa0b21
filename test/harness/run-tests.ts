// `npm run test:all [-- --unit]`: every workspace's tests in one run, the way scripts/test.sh and CI
// run them. First the shared control plane (`cluster up`: reused, and left running, when one is up;
// stopped at the end when started here), so that all e2e files use one; then `turbo run test`, one
// workspace at a time, its output passed through to stdout. The last line on stdout is
// `tests: N passed, N failed, N skipped`; the exit code is 0 only when turbo succeeded, tests ran and
// none failed. Timings go to stderr.
//
//   --unit   the packages only: no control plane, no e2e tests
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { TestSummary } from "./test-summary.js";

// test/dist/harness/run-tests.js -> the repository root.
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CLUSTER_CLI = fileURLToPath(new URL("./cluster-cli.js", import.meta.url));
const TURBO = join(ROOT, "node_modules", ".bin", "turbo");
const USAGE = "usage: npm run test:all [-- --unit]";
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

let current: ChildProcess | undefined;
let interrupted: keyof typeof SIGNAL_EXIT | undefined;

/**
 * Runs `cmd` in the repository root and resolves with its exit code. Output: `quiet` drops it all,
 * `stderr` shows only its stderr, a function gets every line of stdout and stderr.
 */
function exec(
  cmd: string,
  args: string[],
  output: "quiet" | "stderr" | ((line: string) => void),
): Promise<number> {
  const lines = typeof output === "function";
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: ROOT,
      stdio: [
        "ignore",
        lines ? "pipe" : "ignore",
        lines ? "pipe" : output === "stderr" ? "inherit" : "ignore",
      ],
    });
    current = child;
    if (lines) {
      for (const stream of [child.stdout, child.stderr]) {
        if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on("line", output);
      }
    }
    child.on("error", reject);
    child.on("close", (code) => {
      current = undefined;
      resolve(code ?? 1);
    });
  });
}

function note(line: string): void {
  process.stderr.write(`test: ${line}\n`);
}

function secondsSince(t0: number): string {
  return ((Date.now() - t0) / 1000).toFixed(0);
}

async function main(argv: string[]): Promise<number> {
  const unknown = argv.filter((a) => a !== "--unit");
  if (unknown.length > 0) {
    note(`unknown option ${unknown.join(" ")}\n${USAGE}`);
    return 2;
  }
  const unit = argv.includes("--unit");
  let startedCluster = false;
  try {
    if (!unit) {
      const t0 = Date.now();
      if ((await exec(process.execPath, [CLUSTER_CLI, "status"], "quiet")) !== 0) {
        startedCluster = true;
        if ((await exec(process.execPath, [CLUSTER_CLI, "up"], "stderr")) !== 0) {
          note("the test control plane did not start (see above)");
          return interrupted ? SIGNAL_EXIT[interrupted] : 1;
        }
      }
      note(`control plane up in ${secondsSince(t0)}s`);
    }
    if (interrupted) return SIGNAL_EXIT[interrupted];

    const t1 = Date.now();
    const summary = new TestSummary();
    const filter = unit ? ["--filter=./packages/*"] : [];
    const turbo = await exec(
      TURBO,
      ["run", "test", "--concurrency=1", "--output-logs=full", ...filter],
      (line) => {
        process.stdout.write(`${line}\n`);
        summary.add(line);
      },
    );
    if (summary.passed === 0) note("no test ran");
    note(`tests took ${secondsSince(t1)}s`);
    process.stdout.write(`${summary.line()}\n`);
    if (interrupted) return SIGNAL_EXIT[interrupted];
    return turbo === 0 && summary.ok ? 0 : 1;
  } finally {
    // Quietly: the summary stays the last line.
    if (startedCluster) await exec(process.execPath, [CLUSTER_CLI, "down"], "quiet");
  }
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    interrupted = signal;
    current?.kill(signal);
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    note(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  },
);
