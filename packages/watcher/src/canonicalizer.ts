import type { KubeObject, ResourceKey, ResourceType } from "@shiplog/core";

/**
 * What the watcher needs from core's canonicalizer, declared structurally so that the CLI and the
 * tests can inject core's `createCanonicalizer(...)` (or any equivalent).
 */
export type CanonicalResult =
  | { readonly skipped: true; readonly reason: string }
  | {
      readonly skipped: false;
      readonly key: ResourceKey;
      readonly path: string;
      /** Canonical, protected (Secret values encrypted or fingerprinted) YAML. */
      readonly content: string;
      readonly contentHash: string;
      readonly manager?: string;
      readonly changedAt?: string;
      readonly labels?: Readonly<Record<string, string>>;
      readonly sensitive: boolean;
    };

export interface Canonicalizer {
  /** Synchronous canonicalization (core's throws for a Secret in encrypt mode); may also return a Promise. */
  canonicalize(type: ResourceType, obj: KubeObject): CanonicalResult | Promise<CanonicalResult>;
  /** Used instead of `canonicalize` when present (core's: works in every mode, including encrypt). */
  canonicalizeAsync?(type: ResourceType, obj: KubeObject): Promise<CanonicalResult>;
}
