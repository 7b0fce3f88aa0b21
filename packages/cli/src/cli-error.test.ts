import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "@shiplog/core";
import { CommanderError } from "commander";
import { CliError, ExitCodes, reportOf } from "./cli-error.js";

describe("reportOf: the one mapping from an error to an exit code and a line", () => {
  it("maps core's ConfigError to exit 2 with the full key and its source", async () => {
    const err = new ConfigError("notifier.sinks[0].name", "bad name", { source: "/etc/shiplog.yaml" });
    assert.deepEqual(await reportOf(err), {
      exitCode: ExitCodes.config,
      line: "invalid config: notifier.sinks[0].name: bad name (from /etc/shiplog.yaml)",
    });
  });

  it("finds a ConfigError anywhere in the cause chain (a package constructor during run)", async () => {
    const fromConstructor = new ConfigError("notifier.rateWindowMs", "must be an integer >= 1, got 0");
    const wrapped = new CliError("the notifier failed", ExitCodes.failure, {
      cause: new Error("start", { cause: fromConstructor }),
    });
    assert.deepEqual(await reportOf(wrapped), {
      exitCode: ExitCodes.config,
      line: "invalid config: notifier.rateWindowMs: must be an integer >= 1, got 0",
    });
  });

  it("keeps a CliError's code and first line, and names the class of anything else", async () => {
    assert.deepEqual(await reportOf(new CliError("no Redis\nmore", ExitCodes.unavailable)), {
      exitCode: ExitCodes.unavailable,
      line: "no Redis",
    });
    assert.deepEqual(await reportOf(new TypeError("x is undefined", { cause: new Error("deeper") })), {
      exitCode: ExitCodes.failure,
      line: "TypeError: x is undefined: deeper",
    });
  });

  it("prints nothing for commander's errors, which commander printed already", async () => {
    assert.deepEqual(await reportOf(new CommanderError(1, "commander.unknownOption", "unknown option")), {
      exitCode: ExitCodes.config,
      line: undefined,
    });
    assert.deepEqual(await reportOf(new CommanderError(0, "commander.helpDisplayed", "(help)")), {
      exitCode: 0,
      line: undefined,
    });
  });
});
