/**
 * Keyed fingerprints of secret values: `shiplog:hmac-sha256:<32 hex>` (HMAC-SHA-256 truncated to 128
 * bits). The MAC input binds namespace, name, field and value unambiguously (each length-prefixed), so
 * the same password in two Secrets has two unrelated fingerprints, and nobody without the operator's
 * key can test guesses against the history. See docs/adr/0012-secret-protection.md.
 */
import { createHmac, hash } from "node:crypto";

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

/**
 * A fingerprinter for one key: HMAC-SHA-256 (RFC 2104) spelled out over one-shot `crypto.hash` calls
 * with the padded key blocks precomputed. Equal to `createHmac` (tested), and about 7x cheaper per
 * value, because `createHmac` builds a key object and a hash object for every call.
 */
export function createFingerprinter(
  key: Uint8Array,
): (namespace: string, name: string, field: string, value: Uint8Array) => string {
  const block = Buffer.alloc(64);
  if (key.length > 64) block.set(hash("sha256", key, "buffer"));
  else block.set(key);
  const ipad = Buffer.from(block.map((b) => b ^ 0x36));
  const outer = Buffer.alloc(96);
  outer.set(block.map((b) => b ^ 0x5c));
  return (namespace, name, field, value) => {
    const ns = Buffer.byteLength(namespace, "utf8");
    const nm = Buffer.byteLength(name, "utf8");
    const fl = Buffer.byteLength(field, "utf8");
    const buf = Buffer.allocUnsafe(64 + 20 + DOMAIN.length + ns + nm + fl + value.length);
    ipad.copy(buf, 0);
    let off = 64;
    buf.writeUInt32BE(DOMAIN.length, off);
    DOMAIN.copy(buf, off + 4);
    off += 4 + DOMAIN.length;
    for (const [s, n] of [
      [namespace, ns],
      [name, nm],
      [field, fl],
    ] as const) {
      buf.writeUInt32BE(n, off);
      buf.write(s, off + 4, n, "utf8");
      off += 4 + n;
    }
    buf.writeUInt32BE(value.length, off);
    buf.set(value, off + 4);
    // Synchronous use of the shared `outer` buffer is safe: nothing interleaves.
    outer.write(hash("sha256", buf, "binary"), 64, 32, "latin1");
    return FINGERPRINT_PREFIX + hash("sha256", outer, "hex").slice(0, 32);
  };
}

/** One-off fingerprint (reference implementation with `createHmac`; equal to `createFingerprinter`). */
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
