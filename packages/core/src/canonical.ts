/**
 * The one call the watcher makes per event: normalise, protect, serialise. Pure and synchronous in
 * redact and omit mode; encrypting a Secret (encrypt mode) needs `canonicalizeAsync` because age
 * encryption is asynchronous.
 */
import { hash } from "node:crypto";
import { CanonicalizeError } from "./canonical-error.js";
import type { NormalizeConfig, SecretsConfig, TypeFilter } from "./config.js";
import { defaultConfig } from "./config.js";
import { latestManager } from "./managers.js";
import { createNormalizer, isNamespaceExcluded, isTypeExcluded, SkipReasons } from "./normalize.js";
import { pathForKey } from "./paths.js";
import { createProtector, type ProtectOutcome } from "./protect.js";
import type { KubeObject, ResourceKey, ResourceType } from "./resource.js";
import { encryptSops } from "./sops.js";
import { toYaml } from "./canonical-yaml.js";

export interface CanonicalizerOptions {
  normalize: NormalizeConfig;
  secrets: SecretsConfig;
  /**
   * The fingerprint key, resolved by the caller (the CLI reads `secrets.hmacKeyFile`). Takes precedence
   * over `secrets.hmacKey`. Required (>= 16 bytes) in redact and encrypt mode.
   */
  hmacKey?: Uint8Array | string;
  /**
   * Type/namespace filters; objects they leave out are skipped (`excluded-type`, `excluded-namespace`).
   * @defaultValue the defaults of `watch` in `defaultConfig()` (Events and Leases excluded)
   */
  watch?: { include: TypeFilter; exclude: TypeFilter };
  /** Cluster name; informational (not part of fingerprints, so one key gives comparable fingerprints). */
  cluster?: string;
  /**
   * Clock for the sops `lastmodified` field.
   * @defaultValue `() => new Date()`
   */
  now?: () => Date;
}

export type CanonicalResult =
  | { skipped: true; reason: string }
  | {
      skipped: false;
      key: ResourceKey;
      path: string;
      /** YAML file text. */
      content: string;
      /** SHA-256 (hex) of the fingerprint view: equal for equal plaintext, also across re-encryption. */
      contentHash: string;
      manager?: string;
      changedAt?: string;
      labels?: Record<string, string>;
      /** True when the object held Secret values or sensitive fields (now protected). */
      sensitive: boolean;
    };

export interface Canonicalizer {
  /** Synchronous; throws `CanonicalizeError` for a Secret in encrypt mode (use `canonicalizeAsync`). */
  canonicalize(type: ResourceType, obj: KubeObject): CanonicalResult;
  /** Works in every mode. */
  canonicalizeAsync(type: ResourceType, obj: KubeObject): Promise<CanonicalResult>;
}

type Prepared =
  | { skipped: true; reason: string }
  | {
      skipped: false;
      base: Omit<Extract<CanonicalResult, { skipped: false }>, "content" | "contentHash" | "skipped">;
      protected: Extract<ProtectOutcome, { skipped: false }>;
    };

function sha256(text: string): string {
  return hash("sha256", text, "hex");
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === "string")
  );
}

export function createCanonicalizer(opts: CanonicalizerOptions): Canonicalizer {
  const hmacKey = typeof opts.hmacKey === "string" ? Buffer.from(opts.hmacKey, "utf8") : opts.hmacKey;
  const configKey =
    opts.secrets.hmacKey === undefined ? undefined : Buffer.from(opts.secrets.hmacKey, "utf8");
  const protector = createProtector(opts.secrets, hmacKey ?? configKey);
  const normalizer = createNormalizer(opts.normalize);
  const filters = opts.watch ?? defaultConfig().watch;
  const now = opts.now ?? (() => new Date());
  const recipients = [...opts.secrets.ageRecipients];

  function prepare(type: ResourceType, obj: KubeObject): Prepared {
    if (isTypeExcluded(type, filters)) return { skipped: true, reason: SkipReasons.excludedType };
    const meta = obj.metadata;
    const name = meta?.name;
    if (typeof name !== "string" || name === "") {
      return { skipped: true, reason: `${SkipReasons.invalidObject}: metadata.name missing` };
    }
    const namespace = type.namespaced ? meta?.namespace : "";
    if (typeof namespace !== "string" || (type.namespaced && namespace === "")) {
      return {
        skipped: true,
        reason: `${SkipReasons.invalidObject}: metadata.namespace missing on a namespaced type`,
      };
    }
    if (isNamespaceExcluded(namespace, filters))
      return { skipped: true, reason: SkipReasons.excludedNamespace };
    const m = latestManager(obj);
    const n = normalizer.normalize(type, obj);
    if (n.skipped) return n;
    const p = protector.protect(type, n.obj);
    if (p.skipped) return p;
    const key: ResourceKey = {
      group: type.group,
      version: type.version,
      resource: type.resource,
      kind: type.kind,
      namespace,
      name,
      ...(typeof meta?.uid === "string" ? { uid: meta.uid } : {}),
    };
    const labels = meta?.labels;
    return {
      skipped: false,
      base: {
        key,
        path: pathForKey(key),
        sensitive: p.sensitive,
        ...(m !== undefined ? { manager: m.manager } : {}),
        ...(m?.time !== undefined ? { changedAt: m.time } : {}),
        ...(isStringRecord(labels) ? { labels: { ...labels } } : {}),
      },
      protected: p,
    };
  }

  return {
    canonicalize(type, obj) {
      const prep = prepare(type, obj);
      if (prep.skipped) return prep;
      if (prep.protected.plain !== undefined) {
        throw new CanonicalizeError(
          "a Secret in encrypt mode needs canonicalizeAsync (age encryption is async)",
        );
      }
      const content = toYaml(prep.protected.view);
      return { skipped: false, ...prep.base, content, contentHash: sha256(content) };
    },
    async canonicalizeAsync(type, obj) {
      const prep = prepare(type, obj);
      if (prep.skipped) return prep;
      const view = toYaml(prep.protected.view);
      const plain = prep.protected.plain;
      const content = plain === undefined ? view : await encryptSops(plain, recipients, now());
      return { skipped: false, ...prep.base, content, contentHash: sha256(view) };
    },
  };
}
