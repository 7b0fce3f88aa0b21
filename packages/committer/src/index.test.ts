import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as api from "./index.js";

describe("public API of @shiplog/committer", () => {
  it("exports exactly the hand-picked runtime names", () => {
    assert.deepEqual(Object.keys(api).sort(), [
      "Committer",
      "FieldManagerAttribution",
      "SnapshotWriter",
      "commitSnapshot",
      "createCommitterMetrics",
      "openRepo",
    ]);
  });
});
