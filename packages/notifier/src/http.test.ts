import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseRetryAfter } from "@shiplog/core";
import { retryDelay } from "./http.js";
import { DeliveryError } from "./errors/delivery-error.js";

describe("Retry-After and backoff", () => {
  const now = Date.parse("2026-11-26T05:00:00Z");

  it("reads delta-seconds and HTTP dates (core's parseRetryAfter, as the notifier relies on it)", () => {
    assert.equal(parseRetryAfter("3", now), 3000);
    assert.equal(parseRetryAfter(" 0 ", now), 0);
    assert.equal(parseRetryAfter("1.5", now), 1500);
    assert.equal(parseRetryAfter("Thu, 26 Nov 2026 05:00:07 GMT", now), 7000);
    assert.equal(parseRetryAfter("Thu, 26 Nov 2026 04:59:00 GMT", now), 0, "a past date means now");
    assert.equal(parseRetryAfter("soon", now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });

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
