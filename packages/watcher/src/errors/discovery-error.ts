/** Discovery of the served resource types failed as a whole (not just one unavailable group). */
export class DiscoveryError extends Error {
  override readonly name = "DiscoveryError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
