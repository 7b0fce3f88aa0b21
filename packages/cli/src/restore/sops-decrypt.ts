/**
 * Decrypts a sops (v3) YAML document encrypted for age recipients, in TypeScript, so that `shiplog
 * restore` needs no `sops` binary. Format (getsops/sops `aes/cipher.go`, `sops.go`):
 *
 * - `sops.age[].enc` is the 32-byte data key, age-encrypted (ASCII armor) for one recipient;
 * - every encrypted leaf is `ENC[AES256_GCM,data:<b64>,iv:<b64>,tag:<b64>,type:<str|int|float|bool|bytes>]`,
 *   AES-256-GCM under the data key with the additional data `<key path joined by ":">:` (list indices
 *   are not part of the path);
 * - `sops.mac` is the uppercase hex SHA-512 of every leaf's plaintext in document order (only the
 *   encrypted leaves with `mac_only_encrypted: true`), encrypted the same way with `sops.lastmodified`
 *   as additional data. We verify it, so a tampered file is refused.
 */
import { createDecipheriv, createHash } from "node:crypto";
import { isRecord } from "@shiplog/core";
import { Decrypter, armor } from "age-encryption";
import { SopsDecryptError } from "./sops-error.js";

/**
 * sops (>= 3.9) starts the MAC hash with these bytes when `mac_only_encrypted` is set, so that such a
 * MAC always differs from one over all values (`MACOnlyEncryptedInitialization` in sops.go).
 */
const MAC_ONLY_ENCRYPTED_INIT = Uint8Array.from([
  0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b, 0x0b, 0x97,
  0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
]);

const ENC_RE =
  /^ENC\[AES256_GCM,data:([A-Za-z0-9+/=]*),iv:([A-Za-z0-9+/=]+),tag:([A-Za-z0-9+/=]+),type:(\w+)\]$/;

/** True if the parsed document carries sops metadata. */
export function isSopsDocument(
  doc: unknown,
): doc is Record<string, unknown> & { sops: Record<string, unknown> } {
  return isRecord(doc) && isRecord(doc["sops"]);
}

/**
 * Decrypts `doc` (a parsed YAML document with a `sops` key) with the given age identities
 * (`AGE-SECRET-KEY-1...` lines). Returns the document without the `sops` key and with every value
 * decrypted. Throws `SopsDecryptError` if no identity matches, a value fails authentication or the MAC
 * does not match.
 */
export async function decryptSopsDocument(
  doc: unknown,
  identities: readonly string[],
): Promise<Record<string, unknown>> {
  if (!isSopsDocument(doc)) throw new SopsDecryptError("not a sops document (no sops metadata)");
  const meta = doc.sops;
  const dataKey = await unwrapDataKey(meta, identities);

  const plainLeaves: string[] = [];
  const macOnlyEncrypted = meta["mac_only_encrypted"] === true;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) {
    if (k === "sops") continue;
    out[k] = decryptValue(v, [k], dataKey, plainLeaves, macOnlyEncrypted);
  }

  const mac = meta["mac"];
  const lastModified = meta["lastmodified"];
  if (typeof mac === "string" && mac !== "") {
    if (typeof lastModified !== "string") throw new SopsDecryptError("sops.lastmodified is missing");
    const expected = decryptString(mac, `${lastModified}`, dataKey, "sops.mac");
    const h = createHash("sha512");
    if (macOnlyEncrypted) h.update(MAC_ONLY_ENCRYPTED_INIT);
    for (const leaf of plainLeaves) h.update(leaf, "utf8");
    const actual = h.digest("hex").toUpperCase();
    if (String(expected) !== actual) {
      throw new SopsDecryptError("MAC mismatch: the file was modified after it was encrypted");
    }
  }
  return out;
}

async function unwrapDataKey(
  meta: Record<string, unknown>,
  identities: readonly string[],
): Promise<Uint8Array> {
  const stanzas = meta["age"];
  if (!Array.isArray(stanzas) || stanzas.length === 0) {
    throw new SopsDecryptError("the file is not encrypted for any age recipient (sops.age is empty)");
  }
  if (identities.length === 0) throw new SopsDecryptError("no age identity given");
  const decrypter = new Decrypter();
  for (const id of identities) decrypter.addIdentity(id);
  let lastError: unknown;
  for (const s of stanzas) {
    if (!isRecord(s) || typeof s["enc"] !== "string") continue;
    try {
      const key = await decrypter.decrypt(armor.decode(s["enc"]));
      if (key.length !== 32) throw new SopsDecryptError(`data key has ${key.length} bytes, expected 32`);
      return key;
    } catch (err) {
      // Not our recipient: try the next stanza; the last failure is reported if none matches.
      lastError = err;
    }
  }
  const recipients = stanzas
    .map((s) => (isRecord(s) && typeof s["recipient"] === "string" ? s["recipient"] : "?"))
    .join(", ");
  throw new SopsDecryptError(
    `none of the given age identities matches the file's recipients (${recipients})`,
    undefined,
    {
      cause: lastError,
    },
  );
}

function decryptValue(
  v: unknown,
  path: string[],
  key: Uint8Array,
  leaves: string[],
  onlyEncrypted: boolean,
): unknown {
  if (Array.isArray(v)) return v.map((item) => decryptValue(item, path, key, leaves, onlyEncrypted));
  if (isRecord(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, child] of Object.entries(v))
      out[k] = decryptValue(child, [...path, k], key, leaves, onlyEncrypted);
    return out;
  }
  if (typeof v === "string" && v.startsWith("ENC[")) {
    const plain = decryptString(v, `${path.join(":")}:`, key, path.join("."));
    leaves.push(leafBytes(plain));
    return plain;
  }
  if (v !== null && v !== undefined && !onlyEncrypted) leaves.push(leafBytes(v));
  return v;
}

function decryptString(value: string, aad: string, key: Uint8Array, field: string): unknown {
  const m = ENC_RE.exec(value);
  if (!m) throw new SopsDecryptError("malformed ENC[...] value", field);
  const [, data = "", iv = "", tag = "", type = ""] = m;
  let plain: Buffer;
  try {
    const d = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64"));
    d.setAAD(Buffer.from(aad, "utf8"));
    d.setAuthTag(Buffer.from(tag, "base64"));
    plain = Buffer.concat([d.update(Buffer.from(data, "base64")), d.final()]);
  } catch (err) {
    throw new SopsDecryptError("authentication failed (wrong key or tampered value)", field, { cause: err });
  }
  const text = plain.toString("utf8");
  switch (type) {
    case "str":
    case "bytes":
    case "comment":
      return text;
    case "int": {
      const n = Number.parseInt(text, 10);
      if (!Number.isSafeInteger(n)) throw new SopsDecryptError(`bad int value`, field);
      return n;
    }
    case "float":
      return Number.parseFloat(text);
    case "bool":
      return text.toLowerCase() === "true";
    default:
      throw new SopsDecryptError(`unknown value type "${type}"`, field);
  }
}

/** sops `ToBytes`: the bytes a leaf contributes to the MAC. */
function leafBytes(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return String(v);
  return JSON.stringify(v);
}
