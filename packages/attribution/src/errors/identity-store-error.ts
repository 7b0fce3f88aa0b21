/**
 * Redis did not take or give identity records. Translated from ioredis failures in one place
 * (`identity-store.ts`); the original error is the `cause`.
 */
export class IdentityStoreError extends Error {
  override readonly name = "IdentityStoreError";

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
