/** Readiness of one process: a list of named conditions; ready when all hold. */
import type { Readiness } from "./ops-server.js";

export class ReadinessGate implements Readiness {
  readonly #pending = new Map<string, string>();

  /** Adds a condition that is not yet met; `reason` is shown by /readyz until `done(name)`. */
  require(name: string, reason: string): void {
    this.#pending.set(name, reason);
  }

  done(name: string): void {
    this.#pending.delete(name);
  }

  notReadyReason(): string | undefined {
    if (this.#pending.size === 0) return undefined;
    return [...this.#pending.values()].join("; ");
  }
}
