// Test support (not shipped): records what a reflector pushes, in place of the Redis-backed Enqueuer
// (which has its own integration test against a real Redis). Everything is acknowledged at once.
import type { WatchMessage } from "@shiplog/core";
import type { Enqueuer } from "../enqueuer.js";

export class FakeEnqueuer implements Pick<
  Enqueuer,
  "push" | "full" | "whenWritable" | "whenBelow" | "whenAcked" | "checkpoint"
> {
  readonly messages: WatchMessage[] = [];
  /** Every `checkpoint` call, in order, with how many messages were pushed before it. */
  readonly checkpoints: { type: string; rv: string; after: number }[] = [];
  /** Set by a test: `full` turns true, and `whenWritable` waits until `drain()`. */
  #full = false;
  #drained: (() => void)[] = [];
  /** Called on every push (e.g. to fail a test that sees a push after `stop()`). */
  onPush: ((msgs: readonly WatchMessage[]) => void) | undefined;

  get full(): boolean {
    return this.#full;
  }

  fill(): void {
    this.#full = true;
  }

  drain(): void {
    this.#full = false;
    for (const d of this.#drained.splice(0)) d();
  }

  push(msgs: readonly WatchMessage[]): number {
    this.onPush?.(msgs);
    this.messages.push(...msgs);
    return this.messages.length;
  }

  checkpoint(type: string, rv: string): void {
    this.checkpoints.push({ type, rv, after: this.messages.length });
  }

  whenAcked(_seq: number): Promise<void> {
    return Promise.resolve();
  }

  whenWritable(signal: AbortSignal): Promise<void> {
    if (!this.#full || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        signal.removeEventListener("abort", done);
        resolve();
      };
      signal.addEventListener("abort", done, { once: true });
      this.#drained.push(done);
    });
  }

  whenBelow(_below: number, _signal: AbortSignal): Promise<void> {
    return Promise.resolve();
  }
}
