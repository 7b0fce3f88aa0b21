/**
 * Writes SOPS documents: values under `data`/`stringData` encrypted with AES-256-GCM under a fresh
 * data key (additional data = the sops key path joined by ":" plus ":"), the data key age-encrypted to
 * each recipient, and the MAC (SHA-512 over the encrypted leaves' plaintexts, `mac_only_encrypted`)
 * encrypted with the data key and the `lastmodified` time as additional data; with mac_only_encrypted
 * the hash starts with sops' fixed initialisation bytes. Real
 * `sops --decrypt` reads it back (test/e2e/sops.test.ts).
 */
import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { armor, Encrypter } from "age-encryption";
import type { KubeObject } from "./resource.js";
import { ENCRYPTED_REGEX, encryptedLeaves, SOPS_KEY } from "./sops-format.js";
import { setAt } from "./pointer.js";
import { toYaml } from "./canonical-yaml.js";

/** The sops format version we write (the version whose decrypt is tested in e2e). */
export const SOPS_FORMAT_VERSION = "3.13.3";

/**
 * sops (>= 3.9) starts the MAC hash with these bytes when `mac_only_encrypted` is set, so that such a
 * MAC always differs from a MAC over all values (`MACOnlyEncryptedInitialization` in sops.go).
 */
export const MAC_ONLY_ENCRYPTED_INIT = Uint8Array.from([
  0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b, 0x0b, 0x97,
  0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
]);

export class SopsEncryptError extends Error {
  override readonly name = "SopsEncryptError";
}

function encryptValue(plain: string, key: Uint8Array, aad: string): string {
  if (plain === "") return ""; // sops leaves empty strings as they are
  const iv = randomBytes(32);
  const c = createCipheriv("aes-256-gcm", key, iv);
  c.setAAD(Buffer.from(aad, "utf8"));
  const data = Buffer.concat([c.update(plain, "utf8"), c.final()]);
  const tag = c.getAuthTag();
  return `ENC[AES256_GCM,data:${data.toString("base64")},iv:${iv.toString("base64")},tag:${tag.toString("base64")},type:str]`;
}

/** RFC 3339 with second precision, as sops writes `lastmodified`. */
function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Encrypts `plain` (a Secret with plaintext values) into a sops YAML document for `recipients`.
 * Every encrypted leaf must be a string (Secret values always are).
 */
export async function encryptSops(
  plain: KubeObject,
  recipients: readonly string[],
  now: Date,
): Promise<string> {
  if (recipients.length === 0) throw new SopsEncryptError("encrypt mode needs at least one age recipient");
  const dataKey = randomBytes(32);
  const mac = createHash("sha512").update(MAC_ONLY_ENCRYPTED_INIT);
  let doc: unknown = plain;
  for (const leaf of encryptedLeaves(plain)) {
    if (typeof leaf.value !== "string") {
      throw new SopsEncryptError(
        `value at /${leaf.path.join("/")} is a ${typeof leaf.value}, expected a string`,
      );
    }
    mac.update(leaf.value, "utf8");
    doc = setAt(doc, leaf.path, encryptValue(leaf.value, dataKey, leaf.sopsPath.join(":") + ":"));
  }
  const lastmodified = rfc3339(now);
  const macValue = encryptValue(mac.digest("hex").toUpperCase(), dataKey, lastmodified);
  const age: Array<{ recipient: string; enc: string }> = [];
  for (const recipient of recipients) {
    const e = new Encrypter();
    e.addRecipient(recipient);
    age.push({ recipient, enc: armor.encode(await e.encrypt(dataKey)) });
  }
  const meta = {
    age,
    encrypted_regex: ENCRYPTED_REGEX,
    lastmodified,
    mac: macValue,
    mac_only_encrypted: true,
    version: SOPS_FORMAT_VERSION,
  };
  // The sops block goes last; two top-level block mappings concatenated are one mapping.
  return toYaml(doc) + toYaml({ [SOPS_KEY]: meta });
}
