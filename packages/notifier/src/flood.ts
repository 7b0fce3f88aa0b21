/**
 * Flood control for one sink (ADR 0050). Counts commit arrivals over a sliding "minute". While at most
 * `digestAfter` commits arrived in the last minute, each is sent alone. The next one opens a digest
 * that collects every commit of the following minute and is sent once when that minute ends. While
 * the flood lasts, one digest per minute; when it ebbs, commits are sent alone again.
 */
import type { Clock } from "@shiplog/core";

export type FloodDecision =
  | { readonly action: "single" }
  /** Join the digest identified by `windowId`, to be sent at `flushAt` (ms since the epoch). */
  | { readonly action: "digest"; readonly windowId: number; readonly flushAt: number };

export class FloodControl {
  private readonly arrivals: number[] = [];
  private open: { windowId: number; flushAt: number } | undefined;

  constructor(
    private readonly digestAfter: number,
    private readonly windowMs: number,
    private readonly clock: Pick<Clock, "now">,
  ) {}

  admit(): FloodDecision {
    const now = this.clock.now();
    while (this.arrivals.length > 0 && (this.arrivals[0] ?? 0) <= now - this.windowMs) this.arrivals.shift();
    this.arrivals.push(now);
    if (this.open !== undefined && now < this.open.flushAt) return { action: "digest", ...this.open };
    this.open = undefined;
    if (this.arrivals.length > this.digestAfter) {
      this.open = { windowId: now, flushAt: now + this.windowMs };
      return { action: "digest", ...this.open };
    }
    return { action: "single" };
  }
}
