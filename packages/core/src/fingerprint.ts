/**
 * Keyed fingerprints of secret values: `shiplog:hmac-sha256:<32 hex>` (HMAC-SHA-256 truncated to 128
 * bits). The MAC input binds namespace, name, field and value unambiguously (each length-prefixed), so
 * the same password in two Secrets has two unrelated fingerprints, and nobody without the operator's
 * key can test guesses against the history. See docs/adr/0012-secret-protection.md.
 */
import { createHmac } from "node:crypto";

export const FINGERPRINT_PREFIX = "shiplog:hmac-sha256:";
/** The value that replaces secret values in omit mode. */
export const OMITTED_VALUE = "shiplog:omitted";
const DOMAIN = Buffer.from("shiplog-fingerprint-v1", "utf8");

function lengthPrefixed(parts: readonly Uint8Array[]): Buffer {
  let size = 0;
  for (const p of parts) size += 4 + p.length;
  const buf = Buffer.allocUnsafe(size);
  let off = 0;
  for (const p of parts) {
    buf.writeUInt32BE(p.length, off);
    buf.set(p, off + 4);
    off += 4 + p.length;
  }
  return buf;
}

export function fingerprint(
  key: Uint8Array,
  namespace: string,
  name: string,
  field: string,
  value: Uint8Array,
): string {
  const msg = lengthPrefixed([
    DOMAIN,
    Buffer.from(namespace, "utf8"),
    Buffer.from(name, "utf8"),
    Buffer.from(field, "utf8"),
    value,
  ]);
  return FINGERPRINT_PREFIX + createHmac("sha256", key).update(msg).digest("hex").slice(0, 32);
}

export function isFingerprint(v: unknown): v is string {
  return typeof v === "string" && v.startsWith(FINGERPRINT_PREFIX);
}
