import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ExitCodes, reportOf, type Report } from "./cli-error.js";
import type { CliIo } from "./cli-io.js";
import { buildProgram } from "./program.js";
import { BAD_SINK_CONFIGS } from "./testkit/bad-configs.test.helper.js";

/** Runs `shiplog <args>` in this process as main.ts does, and reports how it ended. */
async function shiplog(args: readonly string[], cwd: string): Promise<Report & { stdout: string }> {
  let stdout = "";
  const io: CliIo = {
    // No V8 flags: `run` would otherwise apply --optimize-for-size to the test process.
    env: { SHIPLOG_V8_FLAGS: "" },
    cwd,
    homeDir: cwd,
    stdout: { write: (s: string) => ((stdout += s), true) },
    stderr: { write: () => true },
    onSignal: () => () => undefined,
  };
  try {
    await buildProgram(io).parseAsync(args, { from: "user" });
    return { exitCode: 0, line: undefined, stdout };
  } catch (err) {
    return { ...(await reportOf(err)), stdout };
  }
}

describe("a bad sink ends `config print` and `run` the same way: exit 2, the full key, the file", () => {
  for (const c of BAD_SINK_CONFIGS) {
    it(c.what, async () => {
      const dir = mkdtempSync(join(tmpdir(), "shiplog-cli-bad-sink-"));
      const file = join(dir, "shiplog.yaml");
      writeFileSync(file, c.yaml);
      const print = await shiplog(["config", "print", "--config", file], dir);
      assert.equal(print.exitCode, ExitCodes.config);
      assert.equal(print.stdout, "", "nothing printed");
      const line = print.line ?? "";
      assert.ok(line.startsWith(`invalid config: ${c.key}: `) && line.endsWith(`(from ${file})`), line);
      // `run` fails while loading the config, before it connects to anything.
      const run = await shiplog(["run", "--config", file], dir);
      assert.deepEqual(run, print);
    });
  }

  it("a good config prints, masked", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shiplog-cli-good-sink-"));
    const file = join(dir, "shiplog.yaml");
    writeFileSync(
      file,
      "notifier:\n  sinks:\n    - name: team-a\n      type: slack\n      url: https://hooks.example/T0/B0/secret\n",
    );
    const print = await shiplog(["config", "print", "--config", file, "-o", "json"], dir);
    assert.equal(print.exitCode, 0, print.line);
    assert.match(print.stdout, /"name": "team-a"/);
    assert.doesNotMatch(print.stdout, /T0\/B0\/secret/);
  });
});
