import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as api from "./index.js";

describe("@shiplog/cli public API", () => {
  it("exports exactly these runtime names (the CLI is a command, not a library)", () => {
    assert.deepEqual(Object.keys(api).sort(), []);
  });
});
