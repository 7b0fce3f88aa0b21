// node --test --test-global-setup=dist/harness/global-setup.js: one shared control plane for the whole
// e2e run. If `npm run cluster -- up` already started one (scripts/test.sh does), it is used and left
// running; otherwise one is started here and stopped when the run ends.
import { fileURLToPath } from "node:url";
import { run } from "./run.js";

const cli = fileURLToPath(new URL("./cluster-cli.js", import.meta.url));
let startedHere = false;

export async function globalSetup(): Promise<void> {
  const status = await run(process.execPath, [cli, "status"]);
  if (status.code === 0) return;
  const up = await run(process.execPath, [cli, "up"], { timeoutMs: 15 * 60_000 });
  if (up.code !== 0) throw new Error(`global setup: cluster up failed (exit ${up.code}):\n${up.stderr}`);
  startedHere = true;
}

export async function globalTeardown(): Promise<void> {
  if (!startedHere) return;
  const down = await run(process.execPath, [cli, "down"]);
  if (down.code !== 0)
    throw new Error(`global teardown: cluster down failed (exit ${down.code}):\n${down.stderr}`);
}
