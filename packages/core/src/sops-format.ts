/**
 * The parts of the SOPS file format shiplog needs without any key: which leaves SOPS encrypts under
 * our `encrypted_regex`, what an encrypted value looks like, and where the sops metadata lives.
 */
import { orderedKeys, type KeyContext } from "./canonical-yaml.js";

/** Top-level key of the sops metadata block. */
export const SOPS_KEY = "sops";
/** Matches every key named exactly `data` or `stringData` anywhere in the path, as sops applies it. */
export const ENCRYPTED_REGEX = "^(data|stringData)$";
/** Annotation holding `{ "<json pointer>": "<fingerprint>" }` of every encrypted leaf, unencrypted. */
export const FINGERPRINTS_ANNOTATION = "shiplog.dev/fingerprints";

const ENC = /^ENC\[AES256_GCM,data:(.*),iv:(.+),tag:(.+),type:(.+)\]$/;

export function isEncryptedValue(v: unknown): boolean {
  return typeof v === "string" && ENC.test(v);
}

function isEncryptedKey(k: string): boolean {
  return k === "data" || k === "stringData";
}

export interface Leaf {
  /** Keys from the root (sequence indices are not part of a sops path, but are kept here). */
  readonly path: readonly string[];
  /** Same path without sequence indices, as sops builds its additional data. */
  readonly sopsPath: readonly string[];
  readonly value: unknown;
}

/** Leaves sops encrypts under `ENCRYPTED_REGEX`, in the document order `toYaml` writes. */
export function encryptedLeaves(doc: Record<string, unknown>): Leaf[] {
  const out: Leaf[] = [];
  const walk = (v: unknown, path: string[], sopsPath: string[], inside: boolean, ctx: KeyContext): void => {
    if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, [...path, String(i)], sopsPath, inside, "other"));
    } else if (typeof v === "object" && v !== null) {
      const rec = v as Record<string, unknown>;
      for (const k of orderedKeys(rec, ctx)) {
        if (ctx === "top" && k === SOPS_KEY) continue;
        const next: KeyContext = ctx === "top" && k === "metadata" ? "metadata" : "other";
        walk(rec[k], [...path, k], [...sopsPath, k], inside || isEncryptedKey(k), next);
      }
    } else if (inside && v !== null && v !== undefined) {
      out.push({ path, sopsPath, value: v });
    }
  };
  walk(doc, [], [], false, "top");
  return out;
}

export function toPointer(path: readonly string[]): string {
  return path.map((s) => "/" + s.replaceAll("~", "~0").replaceAll("/", "~1")).join("");
}
