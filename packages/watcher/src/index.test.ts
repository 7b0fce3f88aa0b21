// The runtime export names of @shiplog/watcher, so that an export nobody asked for is a visible change.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as api from "./index.js";

describe("@shiplog/watcher public API", () => {
  it("exports exactly what other packages import", () => {
    assert.deepEqual(Object.keys(api).sort(), ["ApiClient", "Watcher", "createWatcherMetrics", "listAll"]);
  });
});
