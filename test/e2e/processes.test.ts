// Processes the harness starts die with the test process: on a normal exit, on SIGTERM/SIGINT, and
// (through the reaper) on SIGKILL, which no exit hook can catch.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, describe, it } from "node:test";
import { groupAlive } from "../harness/processes.js";

const processesModule = new URL("../harness/processes.js", import.meta.url).href;
const dir = mkdtempSync(join(tmpdir(), "shiplog-proc-test-"));

/** Runs a child node process that starts `sleep 300` through the harness and prints its pid. */
async function childWithSleeper(
  mode: "owned" | "reaper" | "detached",
  signal: NodeJS.Signals | "exit",
): Promise<number> {
  const script = `
    import { startProcess, startReaper } from ${JSON.stringify(processesModule)};
    import { writeFileSync } from "node:fs";
    const log = ${JSON.stringify(join(dir, "sleep.log"))};
    const p = startProcess({ name: "sleep", cmd: "sleep", args: ["300"], logFile: log }, { owned: ${mode === "owned"} });
    if (${mode === "reaper"}) {
      const groups = ${JSON.stringify(join(dir, "groups"))} + p.pid;
      writeFileSync(groups, p.pid + "\\n");
      startReaper(process.pid, groups, log);
    }
    process.stdout.write(p.pid + "\\n");
    if (${signal === "exit"}) process.exit(0);
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const pid = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) resolve(Number(out.trim()));
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (!out.includes("\n")) reject(new Error(`child exited ${code} before printing a pid`));
    });
  });
  assert.ok(pid > 0);
  const exited = new Promise<void>((r) => child.on("exit", () => r()));
  if (signal !== "exit") {
    assert.equal(groupAlive(pid), true, "the sleeper runs while its owner does");
    child.kill(signal);
  }
  await exited;
  return pid;
}

async function gone(pid: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (groupAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(-pid, "SIGKILL"); // don't leave it behind for the next test
      return false;
    }
    await sleep(50);
  }
  return true;
}

describe("owned processes die with their owner", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const signal of ["exit", "SIGTERM", "SIGINT"] as const) {
    it(`on ${signal}`, async () => {
      const pid = await childWithSleeper("owned", signal);
      assert.equal(await gone(pid, 3000), true, `sleeper ${pid} survived its owner's ${signal}`);
    });
  }

  it("on SIGKILL, through the reaper", async () => {
    const pid = await childWithSleeper("reaper", "SIGKILL");
    assert.equal(await gone(pid, 5000), true, `sleeper ${pid} survived its owner's SIGKILL`);
  });

  it("but a detached one without a reaper outlives its starter (so the tests above can fail)", async () => {
    // owned: false and no reaper is what `cluster up` uses.
    const pid = await childWithSleeper("detached", "exit");
    await sleep(1000);
    const alive = groupAlive(pid);
    process.kill(-pid, "SIGKILL");
    assert.equal(alive, true);
    assert.equal(await gone(pid, 3000), true);
  });
});
