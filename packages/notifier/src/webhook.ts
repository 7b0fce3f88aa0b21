/**
 * Generic JSON webhook, signed so a receiver can verify the sender and refuse replays:
 *
 *   X-Shiplog-Timestamp: <unix seconds>          (also `timestamp` inside the body)
 *   X-Shiplog-Delivery:  <unique delivery id>    (also `deliveryId` inside the body)
 *   X-Shiplog-Signature: sha256=<hex HMAC-SHA-256 of the raw body, keyed by the sink secret>
 *
 * The timestamp and delivery id are inside the signed body, so they cannot be altered; a receiver
 * checks the signature, then that the timestamp is recent and the delivery id unseen.
 * See `verifyWebhookSignature`.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Message } from "./render.js";

export const SIGNATURE_HEADER = "x-shiplog-signature";
export const TIMESTAMP_HEADER = "x-shiplog-timestamp";
export const DELIVERY_HEADER = "x-shiplog-delivery";
export const WEBHOOK_SCHEMA = "shiplog.notification/v1";

export interface SignedRequest {
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

export function sign(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`;
}

export function buildWebhookRequest(
  msg: Message,
  ctx: { secret: string; sink: string; deliveryId: string; nowMs: number },
): SignedRequest {
  const timestamp = Math.floor(ctx.nowMs / 1000);
  const payload =
    msg.kind === "commit"
      ? {
          schema: WEBHOOK_SCHEMA,
          kind: msg.kind,
          timestamp,
          deliveryId: ctx.deliveryId,
          sink: ctx.sink,
          commit: msg.commit,
        }
      : {
          schema: WEBHOOK_SCHEMA,
          kind: msg.kind,
          timestamp,
          deliveryId: ctx.deliveryId,
          sink: ctx.sink,
          digest: msg.digest,
        };
  const body = JSON.stringify(payload);
  return {
    body,
    headers: {
      [SIGNATURE_HEADER]: sign(ctx.secret, body),
      [TIMESTAMP_HEADER]: String(timestamp),
      [DELIVERY_HEADER]: ctx.deliveryId,
    },
  };
}

export type VerifyResult =
  { ok: true; timestamp: number; deliveryId: string } | { ok: false; reason: string };

/**
 * For receivers: check a request's signature over the raw body, that the signed timestamp matches the
 * header and is within `toleranceSeconds` of `nowMs`. Remembering delivery ids is the receiver's job.
 */
export function verifyWebhookSignature(args: {
  secret: string;
  rawBody: string;
  signature: string | undefined;
  timestamp: string | undefined;
  nowMs: number;
  /** @defaultValue 300 */
  toleranceSeconds?: number;
}): VerifyResult {
  if (args.signature === undefined || !args.signature.startsWith("sha256=")) {
    return { ok: false, reason: "missing or malformed signature" };
  }
  const expected = Buffer.from(sign(args.secret, args.rawBody));
  const given = Buffer.from(args.signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, reason: "signature mismatch" };
  }
  let body: unknown;
  try {
    body = JSON.parse(args.rawBody);
  } catch (err) {
    return { ok: false, reason: `body is not JSON: ${(err as Error).message}` };
  }
  const signed = body as { timestamp?: unknown; deliveryId?: unknown };
  if (typeof signed.timestamp !== "number" || String(signed.timestamp) !== args.timestamp) {
    return { ok: false, reason: "timestamp header does not match the signed body" };
  }
  const tolerance = args.toleranceSeconds ?? 300;
  if (Math.abs(args.nowMs / 1000 - signed.timestamp) > tolerance) {
    return { ok: false, reason: "timestamp outside the tolerance (replay?)" };
  }
  return {
    ok: true,
    timestamp: signed.timestamp,
    deliveryId: typeof signed.deliveryId === "string" ? signed.deliveryId : "",
  };
}
