/**
 * Recognises recorded objects whose secret values are not in the file, so that `restore` refuses them
 * instead of applying fingerprints over live values:
 *   - sops documents (encrypt mode): restorable with an age identity;
 *   - keyed fingerprints (`shiplog:hmac-sha256:...`, redact mode): never restorable;
 *   - `shiplog:omitted` values (omit mode): never restorable.
 * Any type can carry them (secrets.sensitiveFields), so every string leaf is checked.
 */
import { isFingerprint, OMITTED_VALUE } from "@shiplog/core";
import { isSopsDocument } from "./sops-decrypt.js";

export const Protections = {
  none: "none",
  encrypted: "encrypted",
  redacted: "redacted",
  omitted: "omitted",
} as const;
export type Protection = (typeof Protections)[keyof typeof Protections];

/** Annotation core adds to encrypted documents (fingerprints of the encrypted values). */
export const FINGERPRINTS_ANNOTATION = "shiplog.dev/fingerprints";

function* stringLeaves(v: unknown): Generator<string> {
  if (typeof v === "string") yield v;
  else if (Array.isArray(v)) for (const x of v) yield* stringLeaves(x);
  else if (typeof v === "object" && v !== null) for (const x of Object.values(v)) yield* stringLeaves(x);
}

/** How the object's secret values were protected when it was recorded. */
export function protectionOf(doc: unknown): Protection {
  if (isSopsDocument(doc)) return Protections.encrypted;
  let omitted = false;
  for (const s of stringLeaves(doc)) {
    if (isFingerprint(s)) return Protections.redacted;
    if (s === OMITTED_VALUE) omitted = true;
  }
  return omitted ? Protections.omitted : Protections.none;
}

/** Removes what shiplog added to a decrypted document, so that the restored object is the original. */
export function stripShiplogMetadata(doc: Record<string, unknown>): Record<string, unknown> {
  const meta = doc["metadata"];
  if (typeof meta !== "object" || meta === null) return doc;
  const annotations = (meta as Record<string, unknown>)["annotations"];
  if (typeof annotations !== "object" || annotations === null) return doc;
  const rest = { ...(annotations as Record<string, unknown>) };
  delete rest[FINGERPRINTS_ANNOTATION];
  const newMeta: Record<string, unknown> = { ...(meta as Record<string, unknown>) };
  if (Object.keys(rest).length === 0) delete newMeta["annotations"];
  else newMeta["annotations"] = rest;
  return { ...doc, metadata: newMeta };
}
