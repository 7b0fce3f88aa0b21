import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { retryDelay } from "./http.js";
import { DeliveryError } from "./errors/delivery-error.js";

describe("Retry-After and backoff", () => {
  it("doubles from the base, prefers the receiver's Retry-After, and caps both", () => {
    const plain = new DeliveryError("s", "HTTP 500", { status: 500, retryable: true });
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => retryDelay(n, plain, 100, 10_000)),
      [100, 200, 400, 800],
    );
    assert.equal(retryDelay(20, plain, 100, 10_000), 10_000);
    const asked = new DeliveryError("s", "HTTP 429", { status: 429, retryable: true, retryAfterMs: 5000 });
    assert.equal(retryDelay(1, asked, 100, 10_000), 5000);
    assert.equal(retryDelay(1, asked, 100, 2000), 2000);
  });
});
