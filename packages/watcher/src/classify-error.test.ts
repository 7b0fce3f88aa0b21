import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { statusErrorFromEvent } from "./api-client.js";
import { classifyError, RelistReasons, RetryActions } from "./classify-error.js";
import { ApiStatusError } from "./errors/api-status-error.js";
import { QueueFull } from "./errors/queue-full.js";
import { TransportError } from "./errors/transport-error.js";

const status = (code: number, reason: string, retryAfterMs?: number): ApiStatusError =>
  new ApiStatusError(code, reason, `${code} ${reason}`, retryAfterMs);

describe("classifyError", () => {
  it("relists at once on 410 Gone or reason Expired, from HTTP or a watch ERROR event", () => {
    const event = statusErrorFromEvent(
      { kind: "Status", code: 410, reason: "Expired", message: "too old resource version: 5 (9)" },
      "watch configmaps",
    );
    for (const err of [status(410, ""), status(500, "Expired"), status(504, "Gone"), event]) {
      assert.deepEqual(classifyError(err, false, RelistReasons.initial), {
        action: RetryActions.relist,
        reason: RelistReasons.expired,
        kind: "expired",
      });
    }
  });

  it("waits for the queue on a full buffer, without counting an error", () => {
    assert.deepEqual(classifyError(new QueueFull(), false, RelistReasons.initial), {
      action: RetryActions.waitForQueue,
      reason: RelistReasons.queueFull,
    });
  });

  it("backs off and relists a forbidden type, ignoring Retry-After", () => {
    assert.deepEqual(classifyError(status(403, "Forbidden", 9000), true, RelistReasons.initial), {
      action: RetryActions.forbidden,
      reason: RelistReasons.forbidden,
      kind: "forbidden",
    });
  });

  it("backs off on 429 with the server's Retry-After, from a header or Status details", () => {
    assert.deepEqual(classifyError(status(429, "TooManyRequests", 7000), false, RelistReasons.expired), {
      action: RetryActions.backoff,
      reason: RelistReasons.expired,
      kind: "throttled",
      retryAfterMs: 7000,
    });
    const event = statusErrorFromEvent(
      { kind: "Status", code: 429, reason: "TooManyRequests", details: { retryAfterSeconds: 3 } },
      "watch configmaps",
    );
    assert.equal(classifyError(event, false, RelistReasons.initial).retryAfterMs, 3000);
  });

  it("backs off on other statuses, transport and internal errors", () => {
    assert.equal(classifyError(status(500, "InternalError"), false, RelistReasons.initial).kind, "status");
    assert.equal(classifyError(status(404, "NotFound"), false, RelistReasons.initial).kind, "status");
    const t = classifyError(new TransportError("reset", "ECONNRESET"), false, RelistReasons.initial);
    assert.deepEqual(t, { action: RetryActions.backoff, reason: RelistReasons.initial, kind: "transport" });
    assert.equal(classifyError(new Error("bug"), false, RelistReasons.initial).kind, "internal");
    assert.equal(classifyError("not even an Error", false, RelistReasons.initial).kind, "internal");
  });

  it("counts the retry of a failed first list as an error relist, and keeps other reasons", () => {
    const err = new TransportError("refused", "ECONNREFUSED");
    assert.equal(classifyError(err, true, RelistReasons.initial).reason, RelistReasons.error);
    assert.equal(classifyError(err, true, RelistReasons.expired).reason, RelistReasons.expired);
    assert.equal(classifyError(err, true, RelistReasons.queueFull).reason, RelistReasons.queueFull);
    assert.equal(classifyError(err, false, RelistReasons.initial).reason, RelistReasons.initial);
  });
});
