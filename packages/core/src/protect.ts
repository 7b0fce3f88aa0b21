/**
 * Secret protection: turns a normalised object into what may leave core. Secret `data`/`stringData`
 * and user-marked sensitive fields become keyed fingerprints (redact), are dropped to key names (omit)
 * or are prepared for SOPS encryption (encrypt; see sops.ts). Nothing derived from a plaintext value
 * other than its keyed fingerprint leaves this file in redact and omit mode.
 */
import type { SecretMode, SecretsConfig } from "./config.js";
import { ConfigError } from "./config-error.js";
import { createFingerprinter, OMITTED_VALUE } from "./fingerprint.js";
import { dropAnnotation, LAST_APPLIED_ANNOTATION } from "./normalize.js";
import { parsePointer, updateAt, type Pointer } from "./pointer.js";
import type { KubeObject, KubeObjectMeta, ResourceType } from "./resource.js";
import { typeId } from "./resource.js";
import { SecretModeRegistry, SecretModes } from "./secret-modes.js";
import { encryptedLeaves, FINGERPRINTS_ANNOTATION, toPointer } from "./sops-format.js";

/** Minimum length of the fingerprint key. */
export const MIN_HMAC_KEY_BYTES = 16;

export function isSecretType(type: Pick<ResourceType, "group" | "resource">): boolean {
  return type.group === "" && type.resource === "secrets";
}

export type ProtectOutcome =
  | { skipped: true; reason: "secret-type-omitted" }
  | {
      skipped: false;
      /** The fingerprint (or omit) view: what is written in redact/omit mode, and what is hashed. */
      view: KubeObject;
      sensitive: boolean;
      /** encrypt mode only: the plaintext document (with the fingerprints annotation) to encrypt. */
      plain?: KubeObject;
    };

export interface Protector {
  readonly mode: SecretMode;
  protect(type: ResourceType, obj: KubeObject): ProtectOutcome;
}

function toBytes(v: unknown): Uint8Array {
  return Buffer.from(typeof v === "string" ? v : JSON.stringify(v), "utf8");
}

function withoutLastApplied(obj: KubeObject): KubeObject {
  if (obj.metadata?.annotations?.[LAST_APPLIED_ANNOTATION] === undefined) return obj;
  const meta: KubeObjectMeta = { ...obj.metadata };
  dropAnnotation(meta, LAST_APPLIED_ANNOTATION);
  return { ...obj, metadata: meta };
}

/**
 * @param hmacKey the operator's fingerprint key; required (>= 16 bytes) in redact and encrypt mode.
 */
export function createProtector(secrets: SecretsConfig, hmacKey: Uint8Array | undefined): Protector {
  const mode = secrets.mode;
  const info = SecretModeRegistry[mode];
  if (info.needsHmacKey) {
    if (hmacKey === undefined || hmacKey.length === 0) {
      throw new ConfigError(
        "secrets.hmacKey",
        `a fingerprint key is required in ${mode} mode (set hmacKey or hmacKeyFile)`,
      );
    }
    if (hmacKey.length < MIN_HMAC_KEY_BYTES) {
      throw new ConfigError(
        "secrets.hmacKey",
        `must be at least ${MIN_HMAC_KEY_BYTES} bytes, got ${hmacKey.length}`,
      );
    }
  }
  const fingerprint = createFingerprinter(hmacKey ?? new Uint8Array());
  const omitTypes = new Set(secrets.omitSecretTypes);
  const sensitiveAll: Pointer[] = [];
  const sensitiveByType = new Map<string, Pointer[]>();
  for (const r of secrets.sensitiveFields) {
    const ptrs = r.pointers.map(parsePointer);
    if (r.type === "*") sensitiveAll.push(...ptrs);
    else sensitiveByType.set(r.type, [...(sensitiveByType.get(r.type) ?? []), ...ptrs]);
  }

  const fp = (ns: string, name: string, field: string, value: Uint8Array): string =>
    info.needsHmacKey ? fingerprint(ns, name, field, value) : OMITTED_VALUE;

  /** Replaces a Secret's data/stringData values; `data` is base64-decoded first so both agree. */
  function protectSecretValues(obj: KubeObject, ns: string, name: string): KubeObject {
    const out: KubeObject = { ...obj };
    for (const field of ["data", "stringData"] as const) {
      const values = obj[field];
      if (typeof values !== "object" || values === null || Array.isArray(values)) {
        if (values !== undefined && values !== null) out[field] = OMITTED_VALUE; // malformed: never copy it
        continue;
      }
      const copy: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(values as Record<string, unknown>)) {
        if (v === null || v === undefined) copy[k] = v;
        else if (field === "data" && typeof v === "string")
          copy[k] = fp(ns, name, k, Buffer.from(v, "base64"));
        else copy[k] = fp(ns, name, k, toBytes(v));
      }
      out[field] = copy;
    }
    return out;
  }

  function protectSensitiveFields(
    obj: KubeObject,
    ptrs: readonly Pointer[],
    ns: string,
    name: string,
  ): KubeObject {
    let result: unknown = obj;
    for (const p of ptrs) {
      result = updateAt(result, p, (v, path) =>
        v === undefined || v === null ? v : fp(ns, name, toPointer(path), toBytes(v)),
      );
    }
    return result as KubeObject;
  }

  return {
    mode,
    protect(type, obj) {
      const id = typeId(type);
      const secret = isSecretType(type);
      const ptrs = [...sensitiveAll, ...(sensitiveByType.get(id) ?? [])];
      if (!secret && ptrs.length === 0) return { skipped: false, view: obj, sensitive: false };
      if (secret && typeof obj["type"] === "string" && omitTypes.has(obj["type"])) {
        return { skipped: true, reason: "secret-type-omitted" };
      }
      const ns = obj.metadata?.namespace ?? "";
      const name = obj.metadata?.name ?? "";
      // The last-applied annotation holds the object as applied: plaintext for Secrets and for every
      // sensitive field. It goes regardless of normalisation rules.
      const base = withoutLastApplied(obj);
      const fields = ptrs.length === 0 ? base : protectSensitiveFields(base, ptrs, ns, name);
      if (!secret) return { skipped: false, view: fields, sensitive: true };
      if (mode !== SecretModes.encrypt)
        return { skipped: false, view: protectSecretValues(fields, ns, name), sensitive: true };

      // encrypt: fingerprint every leaf sops will encrypt; the plaintext document carries the
      // fingerprints in an unencrypted annotation so diffs and equality work without the key.
      const leaves = encryptedLeaves(fields);
      const fps: Record<string, string> = {};
      let view: unknown = fields;
      for (const leaf of leaves) {
        const top = leaf.path[0];
        const k = leaf.path[1];
        const f =
          leaf.path.length === 2 && top === "data" && typeof leaf.value === "string" && k !== undefined
            ? fingerprint(ns, name, k, Buffer.from(leaf.value, "base64"))
            : leaf.path.length === 2 && top === "stringData" && k !== undefined
              ? fingerprint(ns, name, k, toBytes(leaf.value))
              : fingerprint(ns, name, toPointer(leaf.path), toBytes(leaf.value));
        fps[toPointer(leaf.path)] = f;
        view = updateAt(view, leaf.path, () => f);
      }
      const meta: KubeObjectMeta = { ...(fields.metadata ?? {}) };
      meta.annotations = { ...(meta.annotations ?? {}), [FINGERPRINTS_ANNOTATION]: JSON.stringify(fps) };
      const plain: KubeObject = { ...fields, metadata: meta };
      return { skipped: false, view: view as KubeObject, sensitive: true, plain };
    },
  };
}
