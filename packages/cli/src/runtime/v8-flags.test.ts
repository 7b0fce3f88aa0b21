import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyV8Flags, DEFAULT_V8_FLAGS, v8FlagsFromEnv } from "./v8-flags.js";

describe("v8 flags of the long-running commands", () => {
  it("defaults to the low-memory flag and lets SHIPLOG_V8_FLAGS replace or clear it", () => {
    assert.deepEqual(v8FlagsFromEnv({}), [DEFAULT_V8_FLAGS]);
    assert.deepEqual(v8FlagsFromEnv({ SHIPLOG_V8_FLAGS: "" }), []);
    assert.deepEqual(v8FlagsFromEnv({ SHIPLOG_V8_FLAGS: " --a  --b=1 " }), ["--a", "--b=1"]);
  });

  it("refuses a value that is not a flag, naming the variable", () => {
    assert.throws(() => applyV8Flags(["optimize-for-size"]), /SHIPLOG_V8_FLAGS: "optimize-for-size"/);
  });

  it("applies a flag that V8 accepts at run time", () => {
    assert.deepEqual(applyV8Flags(["--stack-size=984"]), ["--stack-size=984"]);
  });
});
