/** `canonicalize` was used in a way that cannot work (e.g. synchronously in encrypt mode for a Secret). */
export class CanonicalizeError extends Error {
  override readonly name = "CanonicalizeError";
}
