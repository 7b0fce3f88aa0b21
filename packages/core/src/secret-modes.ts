/**
 * The secret-mode registry: every fact about a mode that more than one place needs, in one table.
 * protect, the schema, the CLI (context, doctor, restore), the notifier's guard and the Helm values
 * schema (checked by a test) read it, so adding a mode means adding a row here and its protector.
 * See docs/adr/0012-secret-protection.md.
 */
import { FINGERPRINT_PREFIX, OMITTED_VALUE } from "./fingerprint.js";

export const SecretModes = { redact: "redact", encrypt: "encrypt", omit: "omit" } as const;
export type SecretMode = (typeof SecretModes)[keyof typeof SecretModes];

export interface SecretModeInfo {
  /** One line for the reference and `doctor`. */
  readonly summary: string;
  /** The mode needs the operator's fingerprint (HMAC) key, which must stay stable across restarts. */
  readonly needsHmacKey: boolean;
  /** The mode needs at least one age recipient. */
  readonly needsAgeRecipients: boolean;
  /** `shiplog restore` can give the original values back (with the right identity). */
  readonly restorable: boolean;
  /**
   * The prefix of the value written in place of a secret value, when values are replaced one by one
   * (`undefined` when the whole document is encrypted instead).
   */
  readonly marker: string | undefined;
  /** Protecting a Secret needs asynchronous work (a child process or crypto), not a pure call. */
  readonly async: boolean;
}

export const SecretModeRegistry: Readonly<Record<SecretMode, SecretModeInfo>> = {
  redact: {
    summary: "keyed fingerprints",
    needsHmacKey: true,
    needsAgeRecipients: false,
    restorable: false,
    marker: FINGERPRINT_PREFIX,
    async: false,
  },
  encrypt: {
    summary: "SOPS/age document",
    needsHmacKey: true,
    needsAgeRecipients: true,
    restorable: true,
    marker: undefined,
    async: true,
  },
  omit: {
    summary: "key names only",
    needsHmacKey: false,
    needsAgeRecipients: false,
    restorable: false,
    marker: OMITTED_VALUE,
    async: false,
  },
};

export const SECRET_MODE_NAMES: readonly SecretMode[] = Object.values(SecretModes);

export function secretModeInfo(mode: SecretMode): SecretModeInfo {
  return SecretModeRegistry[mode];
}

/** A value that a mode wrote in place of a secret value (a fingerprint or the omit marker). */
export function isProtectedMarker(v: unknown): v is string {
  return (
    typeof v === "string" &&
    SECRET_MODE_NAMES.some((m) => {
      const marker = SecretModeRegistry[m].marker;
      return marker !== undefined && v.startsWith(marker);
    })
  );
}
