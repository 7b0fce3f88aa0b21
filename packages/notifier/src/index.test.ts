import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as api from "./index.js";

describe("public API", () => {
  it("exports exactly the hand-picked names", () => {
    assert.deepEqual(Object.keys(api).sort(), [
      "Notifier",
      "createNotifierMetrics",
      "verifyWebhookSignature",
    ]);
  });
});
