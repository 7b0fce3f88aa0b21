// core's real canonicalizer in e2e tests, the way the watcher uses it, with a fixed fingerprint key.
// (Resource types for tests: `TestTypes` from @shiplog/core/testing.)
import { createCanonicalizer, defaultConfig, type Canonicalizer, type SecretsConfig } from "@shiplog/core";

export const HMAC_KEY = "e2e-fingerprint-key-0123456789abcdef";

/** core's canonicalizer with the default config, `secrets` merged over its secrets section. */
export function canonicalizer(secrets: Partial<SecretsConfig> = {}): Canonicalizer {
  const cfg = defaultConfig();
  return createCanonicalizer({
    normalize: cfg.normalize,
    secrets: { ...cfg.secrets, ...secrets },
    hmacKey: HMAC_KEY,
    watch: cfg.watch,
  });
}
