import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  buildWebhookRequest,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyWebhookSignature,
} from "./webhook.js";
import { renderCommit } from "./render.js";
import { commit } from "./testkit/commits.test.helper.js";

const secret = "0123456789abcdef-secret";
const now = Date.parse("2026-11-26T05:00:00Z");
const msg = {
  kind: "commit" as const,
  commit: renderCommit(commit(), { commitUrlTemplate: undefined, maxDiffLines: 10 }),
};

describe("webhook signature", () => {
  const req = buildWebhookRequest(msg, { secret, sink: "hook", deliveryId: "hook-1", nowMs: now });
  const verify = (over: Partial<Parameters<typeof verifyWebhookSignature>[0]>) =>
    verifyWebhookSignature({
      secret,
      rawBody: req.body,
      signature: req.headers[SIGNATURE_HEADER],
      timestamp: req.headers[TIMESTAMP_HEADER],
      nowMs: now + 1000,
      ...over,
    });

  it("signs the raw body with HMAC-SHA-256 and carries timestamp and delivery id inside it", () => {
    assert.match(req.headers[SIGNATURE_HEADER] ?? "", /^sha256=[0-9a-f]{64}$/);
    const body = JSON.parse(req.body) as {
      timestamp: number;
      deliveryId: string;
      schema: string;
      commit: { sha: string };
    };
    assert.equal(body.timestamp, now / 1000);
    assert.equal(body.deliveryId, "hook-1");
    assert.equal(body.schema, "shiplog.notification/v1");
    assert.deepEqual(verify({}), { ok: true, timestamp: now / 1000, deliveryId: "hook-1" });
  });

  it("refuses a wrong key, a tampered body, a swapped timestamp header and a replay", () => {
    assert.equal(verify({ secret: "another-secret-of-16" }).ok, false);
    assert.equal(verify({ rawBody: req.body.replace("kubectl-edit", "kubectl-edlt") }).ok, false);
    assert.equal(verify({ timestamp: String(now / 1000 + 5) }).ok, false);
    assert.equal(verify({ signature: undefined }).ok, false);
    const replay = verify({ nowMs: now + 10 * 60 * 1000 });
    assert.deepEqual(replay, { ok: false, reason: "timestamp outside the tolerance (replay?)" });
  });
});
