/** Test-only: `shiplog doctor` in process, with a given config file and no apiserver. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { reportOf } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import { buildProgram } from "../program.js";

/** One line of `shiplog doctor -o json`. */
export interface Finding {
  check: string;
  status: "ok" | "warn" | "fail";
  message: string;
  fix?: string;
}

/**
 * Writes `config` (YAML) to `<dir>/shiplog.yaml` and runs `shiplog doctor -o <output>` with it. The
 * kubeconfig is missing on purpose (unit tests have no apiserver), so that check always fails.
 */
export async function runDoctor(
  dir: string,
  config: string,
  output: "json" | "text" = "json",
): Promise<{ exitCode: number; stdout: string }> {
  const file = join(dir, "shiplog.yaml");
  writeFileSync(file, config, { mode: 0o600 });
  let stdout = "";
  const io: CliIo = {
    env: { SHIPLOG_V8_FLAGS: "" },
    cwd: dir,
    homeDir: dir,
    stdout: { write: (s: string) => ((stdout += s), true) },
    stderr: { write: () => true },
    onSignal: () => () => undefined,
  };
  const args = ["doctor", "-o", output, "--config", file, "--kubeconfig", join(dir, "no-kubeconfig")];
  try {
    await buildProgram(io).parseAsync(args, { from: "user" });
    return { exitCode: 0, stdout };
  } catch (err) {
    return { exitCode: (await reportOf(err)).exitCode, stdout };
  }
}
