/**
 * Recognises recorded objects whose secret values are not in the file, by the facts of core's
 * secret-mode registry, so that `restore` refuses them instead of applying fingerprints over live values:
 *   - a sops document was written by the mode that encrypts the whole document (no per-value marker);
 *   - a value that starts with a mode's marker was written by that mode (fingerprints, omitted values).
 * Whether the values can be restored is the mode's `restorable`. Any type can carry markers
 * (secrets.sensitiveFields), so every string leaf is checked.
 */
import {
  FINGERPRINTS_ANNOTATION,
  isRecord,
  SECRET_MODE_NAMES,
  SecretModeRegistry,
  type SecretMode,
} from "@shiplog/core";
import { isSopsDocument } from "./sops-decrypt.js";

/** How `restore` words what a mode left in the file (a new mode adds its words here). */
const RECORDED_AS: Readonly<Record<SecretMode, string>> = {
  redact: "redacted (values are fingerprints only)",
  encrypt: "encrypted (sops/age)",
  omit: "without its values (omitted)",
};

function* stringLeaves(v: unknown): Generator<string> {
  if (typeof v === "string") yield v;
  else if (Array.isArray(v)) for (const x of v) yield* stringLeaves(x);
  else if (typeof v === "object" && v !== null) for (const x of Object.values(v)) yield* stringLeaves(x);
}

/** The mode that protected the object's secret values when it was recorded; `undefined` if none did. */
export function protectionOf(doc: unknown): SecretMode | undefined {
  if (isSopsDocument(doc)) return SECRET_MODE_NAMES.find((m) => SecretModeRegistry[m].marker === undefined);
  const found = new Set<SecretMode>();
  for (const s of stringLeaves(doc)) {
    for (const m of SECRET_MODE_NAMES) {
      const marker = SecretModeRegistry[m].marker;
      if (marker !== undefined && s.startsWith(marker)) found.add(m);
    }
  }
  // In registry order: a fingerprint anywhere is reported before an omitted value.
  return SECRET_MODE_NAMES.find((m) => found.has(m));
}

/** Why `what`, recorded in `mode`, cannot be restored; `undefined` when the mode is restorable. */
export function unrestorableReason(what: string, mode: SecretMode): string | undefined {
  if (SecretModeRegistry[mode].restorable) return undefined;
  const restorable = SECRET_MODE_NAMES.filter((m) => SecretModeRegistry[m].restorable);
  const instead =
    restorable.length > 0 ? `, or record Secrets with secrets.mode=${restorable.join(" or ")}` : "";
  return `${what} was recorded ${RECORDED_AS[mode]} and cannot be restored; restore its values from their source${instead}`;
}

/** Removes what shiplog added to a decrypted document, so that the restored object is the original. */
export function stripShiplogMetadata(doc: Record<string, unknown>): Record<string, unknown> {
  const meta = doc["metadata"];
  if (!isRecord(meta) || !isRecord(meta["annotations"])) return doc;
  const rest = { ...meta["annotations"] };
  delete rest[FINGERPRINTS_ANNOTATION];
  const newMeta = { ...meta };
  if (Object.keys(rest).length === 0) delete newMeta["annotations"];
  else newMeta["annotations"] = rest;
  return { ...doc, metadata: newMeta };
}
