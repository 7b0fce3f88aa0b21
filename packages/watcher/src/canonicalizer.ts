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
  /** May return a Promise (encrypt mode). */
  canonicalize(type: ResourceType, obj: KubeObject): CanonicalResult | Promise<CanonicalResult>;
}
